"""What surrounds every page: the demo banner, data freshness, and a clear stop when there is no store."""

from __future__ import annotations

from urllib.parse import urlencode

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
    formats = ", ".join(f"{count} {name}" for name, count in status["formats"].items())
    # A row, not fixed-ratio columns: the line takes the room the "Copy link" control leaves, so the control's label
    # is never cut short, whatever the window's width.
    row = st.container(horizontal=True, vertical_alignment="center", wrap=False)
    row.caption(
        f"{'Demo data · ' if status['demo'] and compact else ''}"
        f"Data as of {when} · {status['sources']} sources ({formats or 'none'}) · {status['runs']} runs · "
        f"{status['sprints']} sprints · store `{db_path()}`",
        width="stretch",
    )
    share_link(row)
    return True


def current_link() -> str:
    """The URL of this view: the page's address and every selection in its query string."""
    query = urlencode(st.query_params.to_dict())
    return f"{st.context.url or ''}{'?' + query if query else ''}"


def share_link(container=st) -> None:
    """A "Copy link" control: the link to this exact view, in a box with a copy button."""
    with container.popover("Copy link", icon=":material/link:"):
        st.caption("This link opens the same page with the same selections.")
        st.code(current_link(), language=None, wrap_lines=True)
