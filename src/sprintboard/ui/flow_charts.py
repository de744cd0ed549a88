"""Plotly figures of flow: cumulative flow, cycle-time scatter with percentile lines, throughput, aging WIP."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from sprintboard.ui.theme import PALETTE

LANE_COLOURS = ["#bdbdbd", *PALETTE]


def cumulative_flow_figure(cfd: pd.DataFrame, lanes: list[str]) -> go.Figure:
    """Stacked areas, done at the bottom as ActionableAgile draws them, so finished work grows from the floor."""
    figure = go.Figure()
    present = [lane for lane in lanes if lane in cfd.columns] + [c for c in cfd.columns
                                                               if c not in lanes and c != "day"]
    for index, lane in enumerate(reversed(present)):
        figure.add_trace(go.Scatter(
            x=cfd["day"], y=cfd[lane], name=lane, mode="lines", stackgroup="flow", line={"width": 0.5},
            fillcolor=LANE_COLOURS[(len(present) - 1 - index) % len(LANE_COLOURS)],
            hovertemplate=f"{lane}: %{{y}} items<extra></extra>"))
    figure.update_layout(title="Cumulative flow", yaxis_title="Items", height=420, hovermode="x unified",
                         legend={"traceorder": "reversed"})
    return figure


def cycle_time_figure(cycles: pd.DataFrame, percentiles: dict[int, float]) -> go.Figure:
    figure = go.Figure(go.Scatter(
        x=cycles["finished"], y=cycles["cycle_days"], mode="markers", name="Finished item",
        marker={"size": 10, "color": PALETTE[0], "opacity": 0.8},
        text=[f"{r.item_id}: {r.title}" for r in cycles.itertuples(index=False)],
        hovertemplate="%{text}<br>finished %{x|%d %b}<br>%{y} days<extra></extra>"))
    for p, days in percentiles.items():
        figure.add_hline(y=days, line={"dash": "dot", "color": "#666666"},
                         annotation_text=f"{p}%: {days:g} days", annotation_position="top left")
    figure.update_layout(title="Cycle time", yaxis_title="Days (start and finish day included)", height=420,
                         yaxis_rangemode="tozero")
    return figure


def throughput_figure(throughput: pd.DataFrame, period: str) -> go.Figure:
    column = "day" if period == "day" else "week"
    figure = go.Figure(go.Bar(x=throughput[column], y=throughput["items"], marker_color=PALETTE[2],
                              hovertemplate="%{x|%d %b}: %{y} items<extra></extra>"))
    figure.update_layout(title=f"Throughput per {period}", yaxis_title="Items finished", height=360)
    return figure


def aging_figure(aging: pd.DataFrame, lanes: list[str], percentiles: dict[int, float]) -> go.Figure:
    in_progress = [lane for lane in lanes if lane in set(aging["status"])] or sorted(set(aging["status"]))
    figure = go.Figure(go.Scatter(
        x=aging["status"], y=aging["age_days"], mode="markers", marker={"size": 14, "color": PALETTE[3]},
        text=[f"{r.item_id}: {r.title}" for r in aging.itertuples(index=False)],
        hovertemplate="%{text}<br>%{y} days in progress<extra></extra>"))
    for p, days in percentiles.items():
        figure.add_hline(y=days, line={"dash": "dot", "color": "#666666"}, annotation_text=f"{p}% finish within "
                         f"{days:g} days", annotation_position="top left")
    figure.update_layout(title="Aging work in progress", yaxis_title="Age in days", height=380,
                         xaxis={"categoryorder": "array", "categoryarray": in_progress}, yaxis_rangemode="tozero")
    return figure
