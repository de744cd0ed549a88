"""The sprint review as one HTML document that a stakeholder can open anywhere, offline, and print.

What it shows is :func:`sprintboard.analytics.sprint_review.sprint_review`, in review order: the sprint's goal and
progress, the burndown, the hypotheses and their verdicts, the headline metric against the previous sprint, the
baseline and the target (with the frontier chart), the bias status of the best model so far, the Definition-of-Done
counts, what needs a decision, and a glossary. A header says when the report was made and how fresh the data is.

How: plotly.js is written once into the document's head, so the charts need no network; each chart is a ``<div>``
with its own ``Plotly.newPlot`` call. Tables are plain HTML. Every piece of text from the store is HTML-escaped
(:mod:`sprintboard.report.html_parts`), and the chart data is JSON that Plotly writes with ``<`` and ``>`` escaped.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import duckdb
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from sprintboard.analytics import metric_frontier
from sprintboard.analytics.bias_data import fairness_policy
from sprintboard.analytics.bias_metrics import AUC, METRICS
from sprintboard.analytics.sprint_review import HeadlineMetric, SprintReview, sprint_review
from sprintboard.analytics.verdicts import VERDICTS
from sprintboard.report.html_parts import (
    GLOSSARY,
    NOTHING,
    PRINT_SCRIPT,
    STYLE,
    Html,
    badge,
    day,
    esc,
    join,
    moment,
    number,
    signed,
    table,
    tag,
    tile,
    tiles,
)
from sprintboard.store import queries
from sprintboard.ui import theme
from sprintboard.ui.metric_charts import frontier_figure
from sprintboard.ui.sprint_charts import UNITS, burndown_figure

BIAS_METRIC_TITLES = {metric.name: metric.title for metric in (*METRICS, AUC)}
# Selecting points does nothing in a static file, and the Plotly logo links out: neither belongs in a report.
CHART_CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["select2d", "lasso2d"], "responsive": True}


def report_file_name(sprint_id: str) -> str:
    """``review-<sprint id>.html``, with characters that do not belong in a file name replaced by ``-``."""
    return f"review-{re.sub(r'[^A-Za-z0-9._-]+', '-', sprint_id)}.html"


def render_report(con: duckdb.DuckDBPyConnection, sprint_id: str, as_of: datetime,
                  generated_at: datetime | None = None) -> str:
    """The review of ``sprint_id`` as of ``as_of`` (naive UTC) as one HTML document (see the module docstring).

    ``generated_at`` (naive UTC, default now) is the time printed in the header. Raises ``ValueError`` for a sprint
    the store does not know.
    """
    review = sprint_review(con, sprint_id, as_of)
    if review is None:
        raise ValueError(f"no sprint {sprint_id!r} in the store")
    theme.register()
    generated_at = generated_at or datetime.now(UTC).replace(tzinfo=None)
    body = join([
        _header(con, review, as_of, generated_at),
        Html("<main>"),
        _progress(review),
        _burndown(review),
        _hypotheses(review),
        _headline(con, review.headline),
        _bias(con, review),
        _done(review),
        _decisions(review),
        _glossary(),
        Html("</main>"),
    ])
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>Sprint review: {esc(review.name)}</title>\n<style>{STYLE}</style>\n"
            # The library once, inline: every chart below calls it, and the file works without a network.
            f'<script type="text/javascript">{get_plotlyjs()}</script>\n'
            f"</head>\n<body>\n{body}\n<script>{PRINT_SCRIPT}</script>\n</body>\n</html>\n")


def _chart(figure: go.Figure) -> Html:
    return Html(f'<div class="chart">{figure.to_html(full_html=False, include_plotlyjs=False, config=CHART_CONFIG)}'
                "</div>")


def _section(title: str, *parts: object) -> Html:
    return Html(f"<section>\n{tag('h2', title)}\n{join(parts)}\n</section>")


def _header(con: duckdb.DuckDBPyConnection, review: SprintReview, as_of: datetime, generated_at: datetime) -> Html:
    status = queries.store_status(con)
    last = status["last_ingest"]
    freshness = (f"last loaded {moment(last['finished_at'])} from {status['sources']} sources"
                 if last else "nothing loaded yet") + (" (demo data)" if status["demo"] else "")
    facts = [("Sprint", f"{review.name} ({review.sprint_id})"),
             ("Dates", f"{day(review.start_date)} to {day(review.end_date)}"),
             ("Goal", review.goal or "no goal recorded"),
             ("Generated", f"{moment(generated_at)}; verdicts and checks as of {moment(as_of)}"),
             ("Data", freshness)]
    rows = join(Html(f"<dt>{esc(name)}</dt><dd>{esc(value)}</dd>") for name, value in facts)
    return Html(f"<header>\n{tag('h1', f'Sprint review: {review.name}')}\n<dl class=\"meta\">{rows}</dl>\n</header>")


def _progress(review: SprintReview) -> Html:
    return _section(
        "Goal and progress",
        tag("p", Html(f"<strong>Goal:</strong> {esc(review.goal or 'no goal recorded')}")),
        tiles([tile("Points done", f"{review.points_done:g} of {review.points:g}", _share(review.points_done,
                                                                                          review.points)),
               tile("Items done", f"{review.items_done} of {review.items}", _share(review.items_done, review.items)),
               tile("Hypotheses", len(review.hypotheses)),
               tile("Experiment runs", review.runs)]),
    )


def _share(done: float, total: float) -> str | None:
    return f"{done / total:.0%} done" if total else None


def _burndown(review: SprintReview) -> Html:
    chart = review.burndown
    if chart is None:
        return _section("Burndown", tag("p", "No burndown: the sprint lacks a start or an end date.", "caption"))
    notes = [tag("p", f"Note: {note}", "caption") for note in chart.approximations]
    return _section(
        "Burndown",
        tag("p", f"Remaining {UNITS[chart.statistic]} over the sprint ({chart.committed:g} committed at the start); "
                 "diamonds mark scope changes, grey bands non-working days.", "caption"),
        _chart(burndown_figure(chart)), *notes,
    )


def _hypotheses(review: SprintReview) -> Html:
    if not review.hypotheses:
        return _section("Hypotheses", tag("p", "No hypotheses in this sprint.", "caption"))
    counts = tiles(tile(verdict.capitalize(), review.verdict_counts.get(verdict, 0)) for verdict in VERDICTS)
    rows = []
    for card in review.hypotheses:
        verdict = card.verdict
        decision = NOTHING
        if verdict.decision:
            who = f" by {card.decided_by}" if card.decided_by else ""
            decision = f"{verdict.decision}{who} (computed: {verdict.computed})" + (
                f": {verdict.decision_note}" if verdict.decision_note else "")
        rows.append([card.hypothesis_id, card.statement, badge(verdict.final), verdict.reason or NOTHING, decision])
    return _section("Hypotheses", counts, table(["Hypothesis", "Statement", "Verdict", "Reason", "Decision"], rows))


def _headline(con: duckdb.DuckDBPyConnection, headline: HeadlineMetric | None) -> Html:
    if headline is None:
        return _section("Headline metric", tag("p", "No headline metric: the backlog names none and no run logged a "
                                                    "metric ending in auc.", "caption"))

    def tone(delta: float | None) -> str | None:
        better = metric_frontier.improvement(delta, headline.direction)
        return None if not better else ("good" if better > 0 else "bad")

    previous = None if headline.delta_previous is None else f"{signed(headline.delta_previous)} vs previous sprint"
    gain = None if headline.frontier_gain is None else f"{signed(headline.frontier_gain)} this sprint"
    above = (None if headline.baseline is None or headline.frontier is None
             else headline.frontier - headline.baseline)
    to_target = None if headline.target is None or headline.frontier is None else headline.frontier - headline.target
    numbers = tiles([
        tile("Best this sprint", number(headline.best) if headline.best is not None else "no finished run", previous,
             tone(headline.delta_previous)),
        tile("Best so far", number(headline.frontier), gain, tone(headline.frontier_gain)),
        tile("Against the baseline", "no baseline" if headline.baseline is None else signed(above),
             None if headline.baseline is None else f"baseline {number(headline.baseline)}"),
        tile("Target", "no target" if headline.target is None else number(headline.target),
             None if to_target is None else f"{signed(to_target)} from it", tone(to_target)),
    ])
    values = metric_frontier.sprint_values(con, headline.key)
    table_ = metric_frontier.sprint_frontier(con, headline.key, headline.direction, headline.baseline)
    caption = (f"{headline.key}, {headline.direction} is better. Sprint's best run: {headline.best_run or NOTHING}; "
               f"best model so far: {headline.best_so_far_run_id or NOTHING}. The chart shows each sprint's finished "
               "runs (grey), the best of each (star) and the best so far (the step line).")
    return _section(f"Headline metric: {headline.key}", numbers, tag("p", caption, "caption"),
                    _chart(frontier_figure(values, table_, headline.key, headline.baseline, headline.target)))


def _bias(con: duckdb.DuckDBPyConnection, review: SprintReview) -> Html:
    status = review.bias
    low, high = fairness_policy(con).band
    # Stakeholders read "Pass" as "fair"; the report says plainly what the band is and is not.
    band = (f"The band {low:g}–{high:g}" if (low, high) == (0.8, 1.25)
            else f"The team's band {low:g}–{high:g}, like the default 0.8–1.25,")
    convention = tag("p", f"Each group's ratio to the reference group is judged against a band. {band} (after the "
                          "four-fifths rule) is a convention, not a legal test: a Pass does not prove a model fair, "
                          "and a Fail is a reason to look closer.", "callout")
    if status.verdicts.empty:
        why = status.note or "no verdicts"
        return _section("Bias status of the best model", tag("p", f"No bias verdicts: {why}.", "caption"), convention)
    intro = f"Best model so far: run {status.run_id}, predictions table {status.table_key}."
    rows = [[row.attribute, BIAS_METRIC_TITLES.get(row.metric, row.metric), badge(row.verdict)]
            for row in status.verdicts.itertuples(index=False)]
    parts = [tag("p", intro), table(["Attribute", "Metric", "Verdict"], rows)]
    if status.note:
        parts.append(tag("p", status.note[0].upper() + status.note[1:] + ".", "caption"))
    return _section("Bias status of the best model", *parts, convention)


def _done(review: SprintReview) -> Html:
    counts = review.done_checks
    rows = [[row["check"], int(row["pass"]), int(row["fail"]), int(row["n/a"])] for _, row in counts.iterrows()]
    return _section(
        "Definition of Done",
        tag("p", "How many of the sprint's items pass, fail or are not checked (n/a) for each gate.", "caption"),
        table(["Gate", "Pass", "Fail", "n/a"], rows),
    )


def _decisions(review: SprintReview) -> Html:
    if not review.decisions:
        return _section("Needs a decision", tag("p", "Nothing waits for a decision."))
    items = join(tag("li", sentence) for sentence in review.decisions)
    return _section("Needs a decision",
                    tag("p", "Hypotheses that expired or stay inconclusive with no recorded decision, and failing "
                             "Definition-of-Done gates.", "caption"),
                    Html(f'<ul class="decisions">{items}</ul>'))


def _glossary() -> Html:
    entries = join(Html(f"<dt>{esc(term)}</dt><dd>{esc(meaning)}</dd>") for term, meaning in GLOSSARY)
    return _section("Glossary", Html(f'<dl class="glossary">{entries}</dl>'))
