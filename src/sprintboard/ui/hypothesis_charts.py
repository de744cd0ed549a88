"""The chart on a hypothesis card: each linked run's value of a criterion's metric against the threshold and the
baseline. No Streamlit here."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from sprintboard.analytics.verdicts import ConditionEvidence
from sprintboard.ui.theme import PALETTE

VERDICT_COLOURS = {"supported": "green", "refuted": "red", "inconclusive": "orange", "open": "blue",
                   "expired": "gray"}
STATE_COLOURS = {"finished": PALETTE[0], "failed": PALETTE[3], "crashed": PALETTE[3], "running": PALETTE[5]}


def evidence_figure(evidence: ConditionEvidence, runs: pd.DataFrame, values: pd.Series,
                    baseline: float | None) -> go.Figure:
    """One marker per linked run (x: run name, y: the metric); failed runs in red, not counted as evidence."""
    frame = runs.assign(value=runs["run_id"].map(values)).dropna(subset=["value"])
    figure = go.Figure(go.Scatter(
        x=frame["name"], y=frame["value"], mode="markers", name=evidence.metric,
        marker={"size": 16, "color": [STATE_COLOURS.get(s, "#999999") for s in frame["state"]]},
        text=frame["state"], hovertemplate="%{x}<br>%{y:.4g} (%{text})<extra></extra>"))
    if evidence.threshold is not None:
        figure.add_hline(y=evidence.threshold, line={"color": "black", "dash": "dash"},
                         annotation_text=f"threshold {evidence.threshold:.4g}", annotation_position="top left")
    if baseline is not None and baseline != evidence.threshold:
        figure.add_hline(y=baseline, line={"color": "#888888", "dash": "dot"},
                         annotation_text=f"baseline {baseline:.4g}", annotation_position="bottom left")
    if evidence.spread_low is not None and evidence.runs_measured > 1:
        figure.add_hrect(y0=evidence.spread_low, y1=evidence.spread_high, fillcolor=PALETTE[0], opacity=0.12,
                         line_width=0)
    figure.update_layout(title=evidence.condition, yaxis_title=evidence.metric, height=320,
                         margin={"t": 50, "b": 40}, showlegend=False)
    return figure
