"""What surrounds every page: the demo banner, data freshness, and a clear stop when there is no store."""

from __future__ import annotations

import streamlit as st

from sprintboard.store import StoreError, queries
from sprintboard.ui.data import db_path, query


def store_header(compact: bool = False) -> bool:
    """Show the demo banner and the freshness line (``compact``: the freshness line only, saying "demo data" in it,
    for presentation mode); ``False`` (after saying why) when the store cannot be read."""
    try:
        status = query(queries.store_status)
    except StoreError as exc:
        st.error(str(exc))
        st.markdown(
            "Load data with `sprintboard demo` (a demo team) or `sprintboard ingest PATH...` "
            "(W&B run folders, `.wandb` logs, backlog files), then reload this page."
        )
        return False
    if status["demo"] and not compact:
        st.info(
            "**Demo data.** A made-up team's four sprints: real models trained on UCI Adult and logged with W&B "
            "offline. Load your own runs with `sprintboard ingest PATH`.",
            icon=":material/science:",
        )
    last = status["last_ingest"]
    when = f"{last['finished_at']:%Y-%m-%d %H:%M} UTC" if last else "never"
    st.caption(
        f"{'Demo data · ' if status['demo'] and compact else ''}"
        f"Data as of {when} · {status['sources']} sources · {status['runs']} runs · "
        f"{status['sprints']} sprints · store `{db_path()}`"
    )
    return True
