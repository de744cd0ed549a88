"""Hypotheses: each hypothesis of a sprint with its verdict, the numbers behind it and the runs that test it."""

from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from sprintboard.analytics import hypothesis_data
from sprintboard.analytics.backlog_data import sprints_frame
from sprintboard.ui.access import edit_access, sign_in_control
from sprintboard.ui.data import query
from sprintboard.ui.edits import save_decision
from sprintboard.ui.frame import store_header
from sprintboard.ui.hypothesis_charts import VERDICT_COLOURS, evidence_figure
from sprintboard.ui.selection import select_in_url
from sprintboard.ui.text import escape_markdown

ALL_SPRINTS = "(all sprints)"

st.title("Hypotheses")
if not store_header():
    st.stop()
access = edit_access()


def decision_form(hypothesis_id: str, computed: str) -> None:
    """A form recording a person's final decision, which overrides the computed verdict (both stay shown)."""
    with st.expander("Record a decision"), st.form(f"decide_{hypothesis_id}", clear_on_submit=True):
        decision = st.selectbox("Decision", hypothesis_data.DECISIONS,
                                index=hypothesis_data.DECISIONS.index(computed)
                                if computed in hypothesis_data.DECISIONS else 0)
        note = st.text_area("Why", max_chars=2000)
        who = access.user or st.text_input("Your name", max_chars=100)
        if st.form_submit_button("Record decision"):
            if not who or not who.strip():
                st.error("Say who decides: the decision is recorded with a name.")
                return
            save_decision(hypothesis_id, decision, note.strip(), who.strip())
            st.toast(f"Recorded: {hypothesis_id} {decision}.")
            st.rerun()


now = datetime.now(UTC).replace(tzinfo=None, minute=0, second=0, microsecond=0)
sprints = query(sprints_frame).sort_values("start_date", ascending=False)
names = {ALL_SPRINTS: ALL_SPRINTS, **dict(zip(sprints["sprint_id"], sprints["name"], strict=True))}
sprint_id = select_in_url("Sprint", list(names), "sprint", format_func=names.get,
                          default=next(iter(sprints["sprint_id"]), ALL_SPRINTS))
# One computation for every sprint: the hit-rate table needs them all, and the chosen sprint's cards are a part.
everything = query(hypothesis_data.sprint_hypotheses, None, now)
cards = [card for card in everything if sprint_id in (ALL_SPRINTS, card.sprint_id)]

if not access.allowed:
    st.caption(access.reason)
    sign_in_control(access)
st.caption("What am I looking at: each hypothesis the team set out to test, and what its experiment runs say. "
           "Supported and refuted are both results; inconclusive means the runs do not decide yet.")
if not cards:
    st.info("No hypotheses in this sprint. A backlog item of type hypothesis with success criteria becomes one.")
else:
    counts = pd.Series([card.verdict.final for card in cards]).value_counts()
    tiles = st.columns(5)
    for tile, verdict in zip(tiles, ("supported", "refuted", "inconclusive", "open", "expired"), strict=True):
        tile.metric(verdict.capitalize(), int(counts.get(verdict, 0)))

for card in cards:
    verdict = card.verdict
    with st.container(border=True):
        head, badge = st.columns([5, 1])
        head.markdown(f"**{escape_markdown(card.hypothesis_id)}** · owner {escape_markdown(card.owner or '-')} · "
                      f"aggregation {card.aggregation} · baseline {escape_markdown(card.baseline)}")
        with badge:
            st.badge(verdict.final.capitalize(), color=VERDICT_COLOURS[verdict.final])
        st.markdown(escape_markdown(card.statement))
        criteria = (card.criteria or "none").replace("`", "'")  # shown as code: no backtick may end the span
        st.caption(f"Criteria: `{criteria}` — {escape_markdown(verdict.reason)}")
        if verdict.decision:
            st.info(f"Decided {verdict.decision} by {escape_markdown(card.decided_by or 'someone')}: "
                    f"{escape_markdown(verdict.decision_note or 'no note')} (computed: {verdict.computed})")
        if verdict.evidence:
            st.dataframe(pd.DataFrame([vars(e) for e in verdict.evidence]), hide_index=True, column_config={
                "condition": "Condition", "metric": None, "threshold": st.column_config.NumberColumn(
                    "Threshold", format="%.4g"),
                "observed": st.column_config.NumberColumn("Observed", format="%.4g"),
                "margin": st.column_config.NumberColumn("Margin", format="%+.4g"),
                "spread_low": st.column_config.NumberColumn("Spread from", format="%.4g"),
                "spread_high": st.column_config.NumberColumn("Spread to", format="%.4g"),
                "runs_meeting": "Runs meeting", "runs_measured": "Runs", "status": "Status", "note": "Note"},
                key=f"evidence_{card.hypothesis_id}")
            first = verdict.evidence[0]
            values = query(hypothesis_data.run_metric, tuple(card.runs["run_id"]), first.metric)
            baseline = query(hypothesis_data.baseline_of, card.hypothesis_id, first.metric)
            st.plotly_chart(evidence_figure(first, card.runs, values, baseline), key=f"chart_{card.hypothesis_id}")
        if len(card.runs):
            st.dataframe(card.runs, hide_index=True, key=f"runs_{card.hypothesis_id}", column_config={
                "run_id": "Run id", "name": "Run", "state": "State",
                "url": st.column_config.LinkColumn("W&B"), "created_at": st.column_config.DatetimeColumn(
                    "Started (UTC)")})
        if verdict.excluded_runs:
            st.caption("Not counted as evidence: " + ", ".join(
                f"{escape_markdown(run)} ({state})" for run, state in verdict.excluded_runs.items()))
        if access.allowed:
            decision_form(card.hypothesis_id, verdict.computed)

st.markdown("#### Hit rate per sprint")
st.caption("How many hypotheses each sprint tested and how they ended (a recorded decision counts over the computed "
           "verdict).")
st.dataframe(hypothesis_data.hit_rate(everything), hide_index=True)
