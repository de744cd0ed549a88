"""Retro: a sprint against the ones before it -- delivery, flow, research and the headline metric -- with the changes
worth talking about, and the team's notes: what went well, what to improve, and the actions agreed on."""

from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from sprintboard.analytics import retro, retro_notes
from sprintboard.ui.access import edit_access, sign_in_control
from sprintboard.ui.data import query
from sprintboard.ui.edits import save_action_state, save_retro_note
from sprintboard.ui.frame import store_header
from sprintboard.ui.retro_charts import cycle_figure, delivery_figure, reliability_figure
from sprintboard.ui.selection import select_in_url
from sprintboard.ui.text import escape_markdown

# The table's headers; the discussion prompts name the same numbers, so people can find them in the table.
LABELS = {
    "name": "Sprint", "first_day": "From", "last_day": "To", "finished": "Finished",
    "committed": "Committed (points)", "velocity": "Velocity (points)", "throughput": "Throughput (items)",
    "reliability": "Commitment reliability", "scope_added": "Scope added (points)",
    "scope_removed": "Scope removed (points)", "carry_over_items": "Carry-over (items)",
    "carry_over_points": "Carry-over (points)", "cycle_items": "Items finished in the sprint's days",
    "cycle_p50": "Cycle time p50 (days)", "cycle_p85": "Cycle time p85 (days)", "timeboxes": "Time-boxes",
    "timebox_overruns": "Time-box overruns", "hypotheses": "Hypotheses", "tested": "Hypotheses tested",
    "supported": "Supported", "refuted": "Refuted", "inconclusive": "Inconclusive",
    "hit_rate": "Hypothesis hit rate", "metric_frontier": "Headline metric, best so far",
    "metric_gain": "Headline metric gain",
}
NOTE_KINDS = {"went_well": "Went well", "to_improve": "To improve", "action": "Action"}
# The tiles on top: column, label, unit.
TILES = (("velocity", "Velocity", "points"), ("throughput", "Throughput", "items"),
         ("reliability", "Commitment reliability", ""), ("cycle_p85", "Cycle time p85", "days"))

st.title("Retro")
if not store_header():
    st.stop()
access = edit_access()


def who() -> str | None:
    """The name recorded with a change: the signed-in name, else the one typed on this page."""
    return access.user or (st.session_state.get("retro_name") or "").strip() or None


def note_form(sprint_id: str) -> None:
    """A form adding a note to this sprint's retro."""
    with st.form("retro_note", clear_on_submit=True):
        kind = st.selectbox("Kind", retro_notes.KINDS, format_func=NOTE_KINDS.get, key="retro_kind")
        text = st.text_area("Note", max_chars=retro_notes.MAX_TEXT_CHARS, key="retro_text")
        if st.form_submit_button("Add note"):
            if who() is None:
                st.error("Say who you are: a note is recorded with a name.")
                return
            if not text.strip():
                st.error("Write the note first.")
                return
            save_retro_note(sprint_id, kind, text, who())
            st.toast("Note added.")
            st.rerun()


def show_note(note) -> None:
    """One note as text (never as HTML or markdown formatting), with who wrote it and, for actions, their state."""
    with st.container(border=True):
        st.markdown(escape_markdown(note.text))
        details = [escape_markdown(note.author or "someone"), f"{note.created_at:%d %b %Y}"]
        if note.carried_from_sprint_id:
            origin = escape_markdown(note.carried_from_name or note.carried_from_sprint_id)
            details.insert(0, f"carried from {origin}" if note.carried else f"recorded as carried from {origin}")
        if note.kind == "action":
            details.append("open" if note.action_state == "open" else
                           f"done by {escape_markdown(note.done_by or 'someone')} on {note.done_at:%d %b %Y}")
        st.caption(" · ".join(details))
        if note.kind == "action" and note.action_state == "open" and access.allowed:
            if st.button("Mark done", key=f"done_{note.note_id}", icon=":material/check:"):
                if who() is None:
                    st.error("Say who you are (above the notes): the change is recorded with a name.")
                    return
                save_action_state(int(note.note_id), "done", who())
                st.toast("Action marked done.")
                st.rerun()


# The hour, not the second: results stay cached within the hour, and a running sprint moves on by the hour.
now = datetime.now(UTC).replace(tzinfo=None, minute=0, second=0, microsecond=0)
table = query(retro.retro_table, now)
if table.empty:
    st.info("No sprint with dates has started yet: the retro compares sprints. Load a backlog with sprints "
            "(`sprintboard ingest`).")
    st.stop()

names = dict(zip(table["sprint_id"], table["name"], strict=True))
newest_first = list(reversed(table["sprint_id"]))
sprint_id = select_in_url("Sprint", newest_first, "sprint", format_func=names.get, default=newest_first[0])
position = list(table["sprint_id"]).index(sprint_id)
row = table.iloc[position]
previous = table.iloc[position - 1] if position else None

st.caption("What am I looking at: this sprint next to the ones before it -- how much the team finished, how "
           "reliably it met what it committed to, how long work took, and what its research found. The numbers "
           "come from the same definitions as the Sprint and flow, Hypotheses and Model metrics pages.")
if not row["finished"]:
    st.warning("This sprint is still running: its numbers are the ones so far.")

tiles = st.columns(4)
for tile, (column, label, unit) in zip(tiles, TILES, strict=True):
    value = row[column]
    shown = "–" if pd.isna(value) else f"{value:.0%}" if column == "reliability" else f"{value:g} {unit}"
    delta, change = None, 0.0
    if previous is not None and pd.notna(value) and pd.notna(previous[column]):
        change = value - previous[column]
        delta = f"{change * 100:+.0f} pts" if column == "reliability" else f"{change:+g} {unit}"
    # Longer cycle times are worse: their rise shows red. No change gets no colour and no arrow.
    colour = "off" if change == 0 else "inverse" if column == "cycle_p85" else "normal"
    since = f"Change since {escape_markdown(previous['name'])}" if previous is not None else "The first sprint"
    tile.metric(label, shown, delta, delta_color=colour, delta_arrow="off" if change == 0 else "auto", help=since)

st.markdown("#### Worth discussing")
prompts = retro.discussion_prompts(table, sprint_id)
if prompts:
    lines = [f"- {prompt.text} · *{LABELS[prompt.column]}* in the table" for prompt in prompts]
    st.info(f"Changes of {retro.PROMPT_THRESHOLD:.0%} or more since {escape_markdown(previous['name'])}, the "
            "largest first:\n\n" + "\n".join(lines), icon=":material/forum:")
elif previous is None:
    st.caption("The first sprint: there is no sprint before it to compare with.")
else:
    st.caption(f"No number changed by {retro.PROMPT_THRESHOLD:.0%} or more since "
               f"{escape_markdown(previous['name'])}.")

st.markdown("#### Sprint over sprint")
goal = query(retro.headline_goal)
st.caption("What am I looking at: one row per sprint, oldest first. Committed is the scope at the sprint's start; "
           "velocity and throughput are the points and items completed in it; reliability is velocity over "
           "committed. Carry-over is unfinished work that moved on to the next sprint. Cycle times are of the items "
           "finished on the sprint's days. "
           + (f"The headline metric is {escape_markdown(goal.key)}; its gain is how far the sprint moved the best "
              "value so far." if goal else "No headline metric is set, so there is no metric gain."))
config = dict(LABELS)
config.update({
    "sprint_id": None,
    "reliability": st.column_config.NumberColumn(LABELS["reliability"], format="percent"),
    "hit_rate": st.column_config.NumberColumn(LABELS["hit_rate"], format="percent"),
    "cycle_p50": st.column_config.NumberColumn(LABELS["cycle_p50"], format="%.1f"),
    "cycle_p85": st.column_config.NumberColumn(LABELS["cycle_p85"], format="%.1f"),
    "metric_frontier": st.column_config.NumberColumn(LABELS["metric_frontier"], format="%.4f"),
    "metric_gain": st.column_config.NumberColumn(LABELS["metric_gain"], format="%+.4f"),
})
st.dataframe(table, hide_index=True, column_config=config, key="retro_table")

charts = st.columns(3)
charts[0].plotly_chart(delivery_figure(table), key="retro_delivery")
charts[1].plotly_chart(reliability_figure(table), key="retro_reliability")
charts[2].plotly_chart(cycle_figure(table), key="retro_cycle")
st.caption("What am I looking at: left, the points (green) and items (blue) completed per sprint; middle, the share "
           "of the committed points completed (the dashed line is 100%: above it, the team also finished work "
           "added mid-sprint); right, how many days items took -- half took p50 days or fewer, 85% took p85.")

st.markdown("#### Notes")
st.caption("What am I looking at: what the team said in this sprint's retro. Open actions of earlier sprints are "
           "carried here, saying where they came from, until someone marks them done.")
if access.allowed:
    if access.user is None:
        st.text_input("Your name", max_chars=100, key="retro_name",
                      help="Recorded with the notes you add and the actions you mark done.")
else:
    st.caption(access.reason)
    sign_in_control(access)
notes = query(retro_notes.sprint_notes, sprint_id)
for column, kind in zip(st.columns(3), retro_notes.KINDS, strict=True):
    with column:
        st.markdown(f"**{retro_notes.KIND_LABELS[kind]}**")
        shown_notes = notes[notes["kind"] == kind]
        if shown_notes.empty:
            st.caption("Nothing yet.")
        for note in shown_notes.itertuples(index=False):
            show_note(note)
if access.allowed:
    note_form(sprint_id)
