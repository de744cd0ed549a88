"""Overview: the sprints in the store, and the chosen sprint's goal, progress and items."""

import streamlit as st

from sprintboard.analytics.sprint_summary import sprint_items, sprint_overview
from sprintboard.ui.data import query
from sprintboard.ui.frame import store_header
from sprintboard.ui.selection import select_in_url
from sprintboard.ui.text import escape_markdown

st.title("Sprint overview")
if not store_header():
    st.stop()

sprints = query(sprint_overview)
if sprints.empty:
    st.warning("The store holds no sprints yet. Load a backlog file or a Jira export with `sprintboard ingest`.")
    st.stop()

names = dict(zip(sprints["sprint_id"], sprints["name"], strict=True))
sprint_id = select_in_url("Sprint", list(sprints["sprint_id"]), "sprint", format_func=names.get)
chosen = sprints.set_index("sprint_id").loc[sprint_id]

st.subheader(escape_markdown(chosen["name"]))
st.markdown(f"**Goal:** {escape_markdown(chosen['goal'] or 'no goal recorded')}")
st.caption(f"{chosen['start_date']:%a %d %b %Y} to {chosen['end_date']:%a %d %b %Y}")

points, items, hypotheses, runs = st.columns(4)
points.metric("Points done", f"{chosen['points_done']:g} of {chosen['points']:g}")
items.metric("Items done", f"{chosen['items_done']} of {chosen['items']}")
hypotheses.metric("Hypotheses", int(chosen["hypotheses"]))
runs.metric("Experiment runs", int(chosen["runs"]))

st.markdown("#### Items in this sprint")
st.caption("Every backlog item now in the sprint, with its status; carried-over work counts where it was finished.")
st.dataframe(
    query(sprint_items, sprint_id),
    hide_index=True,
    column_config={
        "item_id": "Item", "title": "Title", "item_type": "Type", "status": "Status",
        "points": st.column_config.NumberColumn("Points", format="%g"),
        "timebox_hours": st.column_config.NumberColumn("Time-box (h)", format="%g"),
        "assignee": "Assignee",
    },
)

st.markdown("#### All sprints")
st.caption("Each sprint's scope and what was finished, newest first.")
st.dataframe(
    sprints[["name", "start_date", "end_date", "goal", "items_done", "items", "points_done", "points", "runs"]],
    hide_index=True,
    column_config={
        "name": "Sprint", "start_date": "Start", "end_date": "End", "goal": "Goal",
        "items_done": "Items done", "items": "Items", "points_done": "Points done", "points": "Points",
        "runs": "Runs",
    },
)
