"""Data sources: what the store holds, where it came from, and what was rejected."""

import streamlit as st

from sprintboard.store import queries
from sprintboard.ui.data import db_path, query
from sprintboard.ui.frame import store_header

st.title("Data sources")
if not store_header():
    st.stop()

st.markdown("#### What the store holds")
st.caption(f"Rows per table in `{db_path()}` (schema version {query(queries.schema_version)}).")
counts = query(queries.table_counts)
st.dataframe([{"table": name, "rows": rows} for name, rows in counts.items()], hide_index=True)

st.markdown("#### Loaded formats")
st.dataframe(query(queries.source_formats), hide_index=True,
             column_config={"format": "Format", "sources": "Sources", "newest": "Newest load (UTC)"})

st.markdown("#### Ingest log")
st.caption("Every file or folder offered to `sprintboard ingest`, newest first; rejected ones say why.")
history = query(queries.ingest_history, 200)
rejected = int((history["status"] == "rejected").sum())
if rejected:
    st.warning(f"{rejected} of the last {len(history)} inputs were rejected; see the error column.")
st.dataframe(history, hide_index=True)

st.markdown("#### Load your own data")
st.code("sprintboard ingest path/to/wandb/          # a W&B folder of run folders\n"
        "sprintboard ingest run-abc123.wandb       # a single run log\n"
        "sprintboard ingest backlog.yaml           # sprints, items and hypotheses\n"
        "sprintboard info                          # what the store holds", language="bash")
