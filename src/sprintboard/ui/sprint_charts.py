"""Plotly figures of a sprint: burndown (as Jira draws it), burnup and velocity. No Streamlit here.

Hovering a step of the burndown or burnup names the item that moved it; scope changes get their own markers.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pandas as pd
import plotly.graph_objects as go

from sprintboard.analytics.burndown import Burndown
from sprintboard.ui.theme import PALETTE

BLUE, ORANGE, GREEN, VERMILION = PALETTE[0], PALETTE[1], PALETTE[2], PALETTE[3]
UNITS = {"points": "story points", "hours": "hours", "count": "items"}
SCOPE_KINDS = ("scope added", "scope removed", "estimate changed")


def _step_points(chart: Burndown, column: str) -> tuple[list, list, list[str]]:
    """The line of ``column`` as steps: the value at the start, then after each change, held to the chart's end."""
    start = chart.sprint.starts
    xs, ys, hovers = [start], [chart.committed if column != "completed" else 0.0], ["sprint start"]
    for row in chart.changes.itertuples(index=False):
        xs.append(row.at)
        ys.append(getattr(row, column))
        hovers.append(f"{row.item_id} {row.kind} ({row.delta:+g}): {row.title}")
    end = _chart_end(chart)
    xs.append(end)
    ys.append(ys[-1])
    hovers.append("now" if end < chart.sprint.ends else "sprint end")
    return xs, ys, hovers


def _chart_end(chart: Burndown) -> datetime:
    drawn = chart.days.dropna(subset=["remaining"])
    if drawn.empty:
        return chart.sprint.starts
    return min(datetime.combine(drawn["day"].iloc[-1] + timedelta(days=1), time()), chart.sprint.ends)


def _guideline(chart: Burndown) -> tuple[list, list]:
    xs = [chart.sprint.starts] + [datetime.combine(d + timedelta(days=1), time()) for d in chart.days["day"]]
    return xs, [chart.committed, *chart.days["guideline"]]


def burndown_figure(chart: Burndown) -> go.Figure:
    unit = UNITS[chart.statistic]
    figure = go.Figure()
    gx, gy = _guideline(chart)
    figure.add_trace(go.Scatter(x=gx, y=gy, name="Guideline", mode="lines", line={"color": "#999999", "dash": "dash"},
                                hoverinfo="skip"))
    xs, ys, hovers = _step_points(chart, "remaining")
    figure.add_trace(go.Scatter(x=xs, y=ys, name=f"Remaining {unit}", mode="lines+markers", line_shape="hv",
                                line={"color": VERMILION}, marker={"size": 6}, text=hovers,
                                hovertemplate="%{x|%a %d %b %H:%M}<br>%{y:g} remaining<br>%{text}<extra></extra>"))
    scope = chart.changes[chart.changes["kind"].isin(SCOPE_KINDS)]
    if len(scope):
        figure.add_trace(go.Scatter(
            x=scope["at"], y=scope["remaining"], name="Scope change", mode="markers",
            marker={"symbol": "diamond", "size": 14, "color": ORANGE, "line": {"width": 1, "color": "black"}},
            text=[f"{r.item_id} {r.kind} ({r.delta:+g}): {r.title}" for r in scope.itertuples(index=False)],
            hovertemplate="%{x|%a %d %b %H:%M}<br>%{text}<extra></extra>"))
    _shade_non_working_days(figure, chart)
    figure.update_layout(title=f"Burndown: {chart.sprint.name}", yaxis_title=f"Remaining {unit}", height=440,
                         yaxis_rangemode="tozero", hovermode="closest", legend={"orientation": "h", "y": -0.15})
    return figure


def _shade_non_working_days(figure: go.Figure, chart: Burndown) -> None:
    for row in chart.days.itertuples(index=False):
        if not row.working_day:
            start = datetime.combine(row.day, time())
            figure.add_vrect(x0=start, x1=start + timedelta(days=1), fillcolor="#eeeeee", opacity=0.6, layer="below",
                             line_width=0)


def burnup_figure(chart: Burndown) -> go.Figure:
    unit = UNITS[chart.statistic]
    figure = go.Figure()
    for column, name, colour in (("scope", "Total scope", ORANGE), ("completed", "Completed", GREEN)):
        xs, ys, hovers = _step_points(chart, column)
        figure.add_trace(go.Scatter(x=xs, y=ys, name=name, mode="lines", line_shape="hv", line={"color": colour},
                                    text=hovers,
                                    hovertemplate="%{x|%a %d %b %H:%M}<br>%{y:g}<br>%{text}<extra></extra>"))
    _shade_non_working_days(figure, chart)
    figure.update_layout(title=f"Burnup: {chart.sprint.name}", yaxis_title=unit.capitalize(), height=400,
                         yaxis_rangemode="tozero", legend={"orientation": "h", "y": -0.15})
    return figure


def velocity_figure(velocity: pd.DataFrame, statistic: str) -> go.Figure:
    unit = UNITS[statistic]
    figure = go.Figure([
        go.Bar(x=velocity["name"], y=velocity["committed"], name="Commitment", marker_color="#9e9e9e"),
        go.Bar(x=velocity["name"], y=velocity["completed"], name="Completed", marker_color=GREEN),
        go.Scatter(x=velocity["name"], y=velocity["average_3"], name="Average of the last 3", mode="lines+markers",
                   line={"color": BLUE, "dash": "dot"}),
    ])
    figure.update_layout(title="Velocity", yaxis_title=unit.capitalize(), barmode="group", height=400,
                         legend={"orientation": "h", "y": -0.2})
    return figure
