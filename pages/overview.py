"""Overview: the chosen sprint's review on one screen, or -- in presentation mode -- one agenda section per screen."""

from datetime import UTC, datetime

import streamlit as st

from sprintboard.analytics.sprint_review import sprint_review
from sprintboard.analytics.sprint_summary import sprint_items, sprint_overview
from sprintboard.ui import review_sections as sections
from sprintboard.ui.data import query
from sprintboard.ui.frame import store_header
from sprintboard.ui.presentation import agenda_navigation, presenting, start_presenting_control
from sprintboard.ui.report_download import report_download_button
from sprintboard.ui.selection import select_in_url
from sprintboard.ui.text import escape_markdown

present = presenting()
if not present:
    st.title("Sprint overview")
if not store_header(compact=present):
    st.stop()

sprints = query(sprint_overview)
if sprints.empty:
    st.warning("The store holds no sprints yet. Load a backlog file or a Jira export with `sprintboard ingest`.")
    st.stop()

names = dict(zip(sprints["sprint_id"], sprints["name"], strict=True))
sprint_id = select_in_url("Sprint", list(sprints["sprint_id"]), "sprint", format_func=names.get,
                          container=st.sidebar if present else st)
# The hour, not the second: the review stays cached within the hour.
now = datetime.now(UTC).replace(tzinfo=None, minute=0, second=0, microsecond=0)
review = query(sprint_review, sprint_id, now)

if present:
    section = agenda_navigation(list(sections.AGENDA), sections.AGENDA)
    st.header(f"{escape_markdown(review.name)} · {sections.AGENDA[section]}", anchor=False)
    sections.show(section, review)
    st.stop()

# A row of buttons as wide as their labels (narrow columns would cut the labels short).
with st.container(horizontal=True):
    start_presenting_control()
    report_download_button(sprint_id)
st.subheader(escape_markdown(review.name))
sections.goal(review)
left, right = st.columns(2)
with left, st.container(border=True):
    st.markdown("##### Burndown")
    sections.burndown(review)
with right, st.container(border=True):
    st.markdown("##### Hypotheses")
    sections.hypotheses(review)
left, right = st.columns(2)
with left, st.container(border=True):
    st.markdown("##### Model metric")
    sections.metric(review)
with right, st.container(border=True):
    st.markdown("##### Bias check of the best model")
    sections.bias(review)
with st.container(border=True):
    st.markdown("##### Definition of Done and decisions")
    sections.decisions(review)

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
