"""Figures and table styles of the Bias checks page."""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

from sprintboard.analytics.bias import FAIL, INCONCLUSIVE, INSUFFICIENT, NOT_JUDGED, PASS, REFERENCE

VERDICT_COLOURS = {PASS: "#009E73", FAIL: "#D55E00", INCONCLUSIVE: "#E69F00", INSUFFICIENT: "#999999",
                   REFERENCE: "#0072B2", NOT_JUDGED: "#999999"}
_CELL_BACKGROUNDS = {PASS: "#d9f2e9", FAIL: "#fbe0d0", INCONCLUSIVE: "#fdf0d5", INSUFFICIENT: "#eeeeee"}


def disparity_figure(groups: pd.DataFrame, attribute: str, metric: str, title: str,
                     band: tuple[float, float]) -> go.Figure:
    """Each group's ratio to the reference with its bootstrap interval, the band shaded; groups with insufficient
    data are listed on the axis with no point, so a missing bar is never read as a ratio of 0."""
    rows = groups[(groups["attribute"] == attribute) & (groups["metric"] == metric)]
    figure = go.Figure()
    figure.add_hrect(y0=band[0], y1=band[1], fillcolor="#009E73", opacity=0.08, line_width=0,
                     annotation_text=f"band {band[0]:g}–{band[1]:g}", annotation_position="top left")
    figure.add_hline(y=1.0, line={"color": "#555555", "width": 1, "dash": "dot"})
    for verdict, colour in VERDICT_COLOURS.items():
        part = rows[rows["verdict"] == verdict]
        if part.empty:
            continue
        judged = part["ratio"].notna() & ~part["insufficient"]
        shown = part[judged]
        figure.add_trace(go.Scatter(
            x=shown["group"], y=shown["ratio"], mode="markers", name=verdict,
            marker={"color": colour, "size": 14, "symbol": "diamond" if verdict == REFERENCE else "circle"},
            error_y={"type": "data", "symmetric": False,
                     "array": (shown["ratio_high"] - shown["ratio"]).clip(lower=0).fillna(0),
                     "arrayminus": (shown["ratio"] - shown["ratio_low"]).clip(lower=0).fillna(0)},
            customdata=shown[["size", "ratio_low", "ratio_high"]].to_numpy(),
            hovertemplate="%{x}: ratio %{y:.3f} (%{customdata[1]:.3f}–%{customdata[2]:.3f}), "
                          "%{customdata[0]} rows<extra>" + verdict + "</extra>",
        ))
        missing = part[~judged]
        if not missing.empty:
            figure.add_trace(go.Scatter(
                x=missing["group"], y=[1.0] * len(missing), mode="text", text=["insufficient data"] * len(missing),
                textfont={"color": VERDICT_COLOURS[INSUFFICIENT]}, name=f"{verdict} (no ratio)", showlegend=False,
                hovertext=missing["reason"].fillna(missing["ratio_reason"]), hoverinfo="text"))
    figure.update_layout(title=f"{title}: ratio to the reference group, by {attribute}", yaxis_title="ratio",
                         xaxis={"type": "category"}, height=430, legend={"orientation": "h", "y": -0.25})
    return figure


def verdict_styles(table: pd.DataFrame) -> pd.DataFrame:
    """Cell backgrounds for a verdict matrix (attributes × metrics)."""
    return table.map(lambda verdict: f"background-color: {_CELL_BACKGROUNDS.get(verdict, '')}"
                     if verdict in _CELL_BACKGROUNDS else "")


def interval_text(value: float, low: float, high: float, digits: int = 3) -> str:
    """``0.712 (0.690–0.735)``; an unbounded or missing end shows as ``?``."""
    def show(number: float) -> str:
        return "?" if number is None or not math.isfinite(number) else f"{number:.{digits}f}"

    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{show(value)} ({show(low)}–{show(high)})"
