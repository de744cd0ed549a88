"""The sections of a sprint review, drawn from a :class:`SprintReview`: the Overview shows them side by side,
presentation mode one per screen, in the review's agenda order."""

from __future__ import annotations

import streamlit as st

from sprintboard.analytics.metric_frontier import HIGHER, sprint_frontier, sprint_values
from sprintboard.analytics.sprint_review import SprintReview
from sprintboard.formatting import signed
from sprintboard.ui.data import query
from sprintboard.ui.hypothesis_charts import VERDICT_COLOURS as HYPOTHESIS_COLOURS
from sprintboard.ui.metric_charts import frontier_figure
from sprintboard.ui.sprint_charts import burndown_figure
from sprintboard.ui.text import escape_markdown

AGENDA = {"goal": "Sprint goal", "burndown": "Burndown", "hypotheses": "Hypotheses", "metrics": "Model metric",
          "bias": "Bias check", "decisions": "Decisions"}


def goal(review: SprintReview, large: bool = False) -> None:
    st.markdown(f"{'## ' if large else ''}**Goal:** {escape_markdown(review.goal or 'no goal recorded')}")
    st.caption(f"{review.start_date:%a %d %b %Y} to {review.end_date:%a %d %b %Y}")
    tiles = st.columns(4)
    tiles[0].metric("Points done", f"{review.points_done:g} of {review.points:g}")
    tiles[1].metric("Items done", f"{review.items_done} of {review.items}")
    tiles[2].metric("Hypotheses", len(review.hypotheses))
    tiles[3].metric("Experiment runs", review.runs)
    st.page_link("pages/sprint_flow.py", label="Items and flow", icon=":material/arrow_forward:",
                 query_params={"sprint": review.sprint_id})


def burndown(review: SprintReview, height: int = 320) -> None:
    if review.burndown is None:
        st.info("This sprint has no dates: no burndown.")
        return
    figure = burndown_figure(review.burndown)
    figure.update_layout(height=height, title=None, margin={"t": 10})
    st.plotly_chart(figure, key=f"review_burndown_{height}")
    st.caption("Remaining work by day (Jira's rules: scope added mid-sprint raises the line, completed work lowers "
               "it); the dashed line is an even pace to zero.")
    st.page_link("pages/sprint_flow.py", label="Burndown, velocity and flow", icon=":material/arrow_forward:",
                 query_params={"sprint": review.sprint_id})


def hypotheses(review: SprintReview) -> None:
    # A row that wraps, not one column per verdict: in the Overview's half-width card five equal columns are too
    # narrow for a label like "Inconclusive".
    with st.container(horizontal=True, horizontal_alignment="distribute"):
        for verdict, count in review.verdict_counts.items():
            st.metric(verdict.capitalize(), count, width="content")
    for card in review.hypotheses:
        badge = f":{_badge_colour(HYPOTHESIS_COLOURS[card.verdict.final])}-badge[{card.verdict.final}]"
        st.markdown(f"{badge} **{escape_markdown(card.hypothesis_id)}** {escape_markdown(card.statement)}")
    st.page_link("pages/hypotheses.py", label="Hypotheses and their evidence", icon=":material/arrow_forward:",
                 query_params={"sprint": review.sprint_id})


def _badge_colour(colour: str) -> str:
    return colour if colour in ("red", "green", "orange", "blue", "gray", "violet", "grey") else "gray"


def metric(review: SprintReview, chart_height: int | None = None) -> None:
    """The headline metric's tiles, and with ``chart_height`` the frontier chart above them at that height."""
    headline = review.headline
    if headline is None:
        st.info("No headline metric yet: mark one in the backlog file's `metrics` list, or log a metric ending in "
                "`auc`.")
        return
    if chart_height:  # the chart first, so that it is whole on a projector's screen; the numbers follow
        values = query(sprint_values, headline.key)
        table = query(sprint_frontier, headline.key, headline.direction, headline.baseline)
        figure = frontier_figure(values, table, headline.key, headline.baseline, headline.target)
        figure.update_layout(height=chart_height)
        st.plotly_chart(figure, key="review_frontier")
    colour = "normal" if headline.direction == HIGHER else "inverse"
    st.markdown(f"**{escape_markdown(headline.key)}** ({headline.direction} is better)")
    tiles = [*st.columns(2), *st.columns(2)]  # two rows: the numbers stay readable in a half-width tile
    tiles[0].metric("Best this sprint", "—" if headline.best is None else f"{headline.best:.4g}",
                    signed(headline.delta_previous) and f"{signed(headline.delta_previous)} vs previous sprint",
                    delta_color=colour)
    tiles[1].metric("Best so far", "—" if headline.frontier is None else f"{headline.frontier:.4g}",
                    signed(headline.frontier_gain) and f"{signed(headline.frontier_gain)} this sprint",
                    delta_color=colour)
    tiles[2].metric("Baseline", "none" if headline.baseline is None else f"{headline.baseline:.4g}",
                    None if headline.baseline is None or headline.frontier is None
                    else f"{signed(headline.frontier - headline.baseline)} best so far", delta_color=colour)
    tiles[3].metric("Target", "none" if headline.target is None else f"{headline.target:.4g}",
                    None if headline.target is None or headline.frontier is None
                    else f"{signed(headline.frontier - headline.target)} from it", delta_color=colour)
    if headline.best_run:
        st.caption(f"Sprint's best run: {escape_markdown(headline.best_run)}.")
    st.page_link("pages/metrics.py", label="Model metrics", icon=":material/arrow_forward:",
                 query_params={"view": "sprints", "metric": headline.key, "sprint": review.sprint_id})


def bias(review: SprintReview) -> None:
    status = review.bias
    if status.verdicts.empty:
        st.info(f"No bias check: {status.note}.")
        return
    st.caption(f"Best model so far: {escape_markdown(status.run_id or '-')} · table {escape_markdown(status.table_key)}"
               + (f" · {status.note}" if status.note else ""))
    for row in status.verdicts.itertuples():
        colour = _badge_colour({"Pass": "green", "Fail": "red", "Inconclusive": "orange"}.get(row.verdict, "gray"))
        st.markdown(f":{colour}-badge[{row.verdict}] {row.metric} by **{escape_markdown(row.attribute)}**")
    st.page_link("pages/bias.py", label="Bias checks", icon=":material/arrow_forward:",
                 query_params={"run": status.run_id or ""})


def decisions(review: SprintReview) -> None:
    table = review.done_checks.rename(columns={"check": "Definition of Done", "pass": "Pass", "fail": "Fail",
                                               "n/a": "Not applicable"})
    st.dataframe(table, hide_index=True, key="review_done_checks")
    if review.decisions:
        st.markdown("**Needs a decision or a fix**")
        for line in review.decisions:
            st.markdown(f"- {escape_markdown(line)}")
    else:
        st.success("Nothing waits for a decision.")


# The tallest chart a 1280×720 projector shows whole under presentation mode's heading and Back/Next row.
PRESENTATION_CHART_HEIGHT = 330


def show(section: str, review: SprintReview) -> None:
    """Draw one agenda section on a screen of its own, its chart whole on a 1280×720 projector."""
    if section == "burndown":
        burndown(review, height=PRESENTATION_CHART_HEIGHT)
    elif section == "metrics":
        metric(review, chart_height=PRESENTATION_CHART_HEIGHT)
    else:
        {"goal": goal, "hypotheses": hypotheses, "bias": bias, "decisions": decisions}[section](review)
