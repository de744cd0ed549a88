"""Runs: the experiment runs of a sprint, and one run's config, summary and metric curves."""

import plotly.graph_objects as go
import streamlit as st

from sprintboard.analytics.history import metric_keys, metric_series, run_key_values
from sprintboard.store.queries import runs_table, sprint_list
from sprintboard.ui.data import query
from sprintboard.ui.frame import store_header
from sprintboard.ui.selection import select_in_url
from sprintboard.ui.text import escape_markdown

ALL_SPRINTS = "(all sprints)"
MAX_POINTS = 2000

st.title("Experiment runs")
if not store_header():
    st.stop()

sprints = query(sprint_list)
sprint_names = {ALL_SPRINTS: ALL_SPRINTS, **dict(zip(sprints["sprint_id"], sprints["name"], strict=True))}
sprint_id = select_in_url("Sprint", list(sprint_names), "sprint", format_func=sprint_names.get)
runs = query(runs_table, None if sprint_id == ALL_SPRINTS else sprint_id)

if runs.empty:
    st.info("No runs are linked to this sprint. Runs link by a `sprint:<name>` tag, a `sprint` config key, "
            "or a start time inside the sprint.")
    st.stop()

st.caption("Runs linked to the sprint by tag, config key or start time, newest first.")
st.dataframe(
    runs[["name", "state", "created_at", "runtime_s", "group_name", "tags", "hypothesis_ref", "notes"]],
    hide_index=True,
    column_config={
        "name": "Run", "state": "State", "created_at": st.column_config.DatetimeColumn("Started (UTC)"),
        "runtime_s": st.column_config.NumberColumn("Runtime (s)", format="%.0f"), "group_name": "Group",
        "tags": "Tags", "hypothesis_ref": "Hypothesis", "notes": "Notes",
    },
)

labels = dict(zip(runs["run_id"], runs["name"].fillna(runs["run_id"]), strict=True))
run_id = select_in_url("Run", list(runs["run_id"]), "run", format_func=labels.get)
run = runs.set_index("run_id").loc[run_id]
st.subheader(escape_markdown(labels[run_id]))
st.caption(
    f"State {run['state']} · group {run['group_name'] or '-'} · git commit {run['git_commit'] or 'not recorded'}"
)

keys = query(metric_keys, run_id)
if keys:
    default = next((k for k in keys if k.endswith("auc")), keys[0])
    key = select_in_url("Metric", keys, "metric", default=default)
    series = query(metric_series, run_id, key, MAX_POINTS)
    figure = go.Figure(go.Scatter(x=series["step"], y=series["value"], mode="lines", name=key))
    figure.update_layout(title=f"{key} by step", xaxis_title="step", yaxis_title=key, height=420)
    st.caption(f"How {key} changed over the run's training steps ({len(series)} points drawn; when a run has "
               f"more than {MAX_POINTS}, each stretch keeps its first, last, lowest and highest point).")
    st.plotly_chart(figure)
else:
    st.info("This run logged no numeric metrics.")

config_column, summary_column = st.columns(2)
config_column.markdown("#### Config")
config_column.dataframe(query(run_key_values, run_id, "run_config"), hide_index=True)
summary_column.markdown("#### Summary")
summary_column.dataframe(query(run_key_values, run_id, "run_summary"), hide_index=True)
