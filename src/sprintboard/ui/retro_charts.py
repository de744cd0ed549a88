"""Figures of the Retro page: delivery, commitment reliability and cycle time, sprint over sprint."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from sprintboard.ui.theme import PALETTE

BLUE, ORANGE, GREEN = PALETTE[0], PALETTE[1], PALETTE[2]
CHART_HEIGHT = 320


def delivery_figure(table: pd.DataFrame) -> go.Figure:
    """Velocity (points, left axis) and throughput (items, right axis) side by side per sprint."""
    figure = go.Figure([
        go.Bar(x=table["name"], y=table["velocity"], name="Velocity (points)", marker_color=GREEN, offsetgroup=0),
        go.Bar(x=table["name"], y=table["throughput"], name="Throughput (items)", marker_color=BLUE, offsetgroup=1,
               yaxis="y2"),
    ])
    figure.update_layout(title="Velocity and throughput", barmode="group", height=CHART_HEIGHT,
                         yaxis={"title": "Points", "rangemode": "tozero"},
                         yaxis2={"title": "Items", "overlaying": "y", "side": "right", "rangemode": "tozero",
                                 "showgrid": False},
                         legend={"orientation": "h", "y": -0.25})
    return figure


def reliability_figure(table: pd.DataFrame) -> go.Figure:
    figure = go.Figure(go.Scatter(x=table["name"], y=table["reliability"], mode="lines+markers", line={"color": GREEN},
                                  name="Commitment reliability",
                                  hovertemplate="%{x}<br>%{y:.0%} of the committed points<extra></extra>"))
    figure.add_hline(y=1.0, line={"color": "#999999", "dash": "dash"})
    figure.update_layout(title="Commitment reliability", height=CHART_HEIGHT, yaxis={"tickformat": ".0%",
                                                                                     "rangemode": "tozero"})
    return figure


def cycle_figure(table: pd.DataFrame) -> go.Figure:
    figure = go.Figure([
        go.Scatter(x=table["name"], y=table["cycle_p50"], mode="lines+markers", name="p50", line={"color": BLUE}),
        go.Scatter(x=table["name"], y=table["cycle_p85"], mode="lines+markers", name="p85",
                   line={"color": ORANGE, "dash": "dot"}),
    ])
    figure.update_layout(title="Cycle time", height=CHART_HEIGHT, yaxis={"title": "Days", "rangemode": "tozero"},
                         legend={"orientation": "h", "y": -0.25})
    return figure
