"""Figures of the model-metrics page: metric curves (per run or grouped), the sprint frontier, config → metric.

Arrays go to the browser as float32: a chart needs no more precision, and it halves the bytes sent per page.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from sprintboard.analytics.metric_curves import METRIC_AXIS, X_LABELS
from sprintboard.analytics.smoothing import smooth
from sprintboard.ui.theme import PALETTE

RAW_OPACITY = 0.25


def _x_values(x: pd.Series, x_axis: str) -> np.ndarray:
    if x_axis == "wall":
        return pd.to_datetime(x, unit="s").to_numpy()
    return x.to_numpy(np.float32)


def _x_title(x_axis: str) -> str:
    return X_LABELS.get(x_axis, x_axis.removeprefix(METRIC_AXIS))


def curves_figure(lines: pd.DataFrame, key: str, labels: dict[str, str], x_axis: str, smoothing: str,
                  amount: float) -> go.Figure:
    """One figure of metric ``key``: per run, the line as logged -- faint when smoothed -- and the smoothed line."""
    figure = go.Figure()
    for index, (run_id, line) in enumerate(lines[lines["key"] == key].groupby("run_id", sort=False)):
        colour = PALETTE[index % len(PALETTE)]
        name = labels.get(run_id, run_id)
        x = _x_values(line["x"], x_axis)
        raw = line["y"].to_numpy(np.float64)
        smoothed = smoothing != "none"
        figure.add_trace(go.Scatter(
            x=x, y=raw.astype(np.float32), mode="lines", name=name, legendgroup=run_id,
            showlegend=not smoothed, opacity=RAW_OPACITY if smoothed else 1.0,
            line={"color": colour, "width": 1.5 if smoothed else 2.5},
            hovertemplate=f"{name}<br>%{{x}}: %{{y:.4g}}<extra>as logged</extra>",
        ))
        if smoothed:
            figure.add_trace(go.Scatter(
                x=x, y=smooth(line["x"].to_numpy(np.float64), raw, smoothing, amount).astype(np.float32),
                mode="lines", name=name, legendgroup=run_id, line={"color": colour, "width": 2.5},
                hovertemplate=f"{name}<br>%{{x}}: %{{y:.4g}}<extra>smoothed</extra>",
            ))
    figure.update_layout(title=key, xaxis_title=_x_title(x_axis), yaxis_title=key, height=430,
                         legend={"orientation": "h", "y": -0.2}, dragmode="select", selectdirection="h")
    return figure


def group_figure(groups: pd.DataFrame, key: str, x_axis: str, band: str, labels: dict[str, str]) -> go.Figure:
    """One figure of metric ``key``: per group, the mean across its runs with a band (min–max, or ±1 std)."""
    figure = go.Figure()
    for index, (group, line) in enumerate(groups[groups["key"] == key].groupby("group", sort=False)):
        colour = PALETTE[index % len(PALETTE)]
        name = labels.get(group, group)
        x = _x_values(line["x"], x_axis)
        mean = line["mean"].to_numpy(np.float64)
        if band == "std":
            spread = line["std"].fillna(0).to_numpy(np.float64)
            low, high = mean - spread, mean + spread
        else:
            low, high = line["low"].to_numpy(np.float64), line["high"].to_numpy(np.float64)
        figure.add_trace(go.Scatter(x=x, y=high.astype(np.float32), mode="lines", line={"width": 0},
                                    legendgroup=name, showlegend=False, hoverinfo="skip"))
        figure.add_trace(go.Scatter(x=x, y=low.astype(np.float32), mode="lines", line={"width": 0},
                                    fill="tonexty", fillcolor=_faint(colour), legendgroup=name, showlegend=False,
                                    hoverinfo="skip"))
        figure.add_trace(go.Scatter(
            x=x, y=mean.astype(np.float32), mode="lines", name=f"{name} ({_runs(int(line['runs'].max()))})",
            legendgroup=name, line={"color": colour, "width": 2.5},
            hovertemplate=f"{name}<br>%{{x}}: mean %{{y:.4g}}<extra></extra>",
        ))
    band_name = "±1 standard deviation across runs" if band == "std" else "lowest to highest run"
    figure.update_layout(title=f"{key}: mean per group, band {band_name}", xaxis_title=_x_title(x_axis),
                         yaxis_title=key, height=430, legend={"orientation": "h", "y": -0.2}, dragmode="select",
                         selectdirection="h")
    return figure


def _faint(colour: str) -> str:
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},0.2)"


def frontier_figure(values: pd.DataFrame, table: pd.DataFrame, key: str, baseline: float | None,
                    target: float | None) -> go.Figure:
    """Every finished run per sprint (dots), each sprint's best run (named), the best-so-far step line, and the
    baseline and target as reference lines."""
    figure = go.Figure()
    runs = values.dropna(subset=["value"])
    figure.add_trace(go.Scatter(x=runs["sprint"], y=runs["value"], mode="markers", name="finished runs",
                                marker={"color": "#999999", "size": 9, "opacity": 0.6}, text=runs["run"],
                                hovertemplate="%{text}: %{y:.4g}<extra></extra>"))
    figure.add_trace(go.Scatter(x=table["sprint"], y=table["frontier"], mode="lines", name="best so far",
                                line={"shape": "hv", "color": PALETTE[0], "width": 3}))
    best = table.dropna(subset=["best"])
    figure.add_trace(go.Scatter(x=best["sprint"], y=best["best"], mode="markers+text", name="sprint's best run",
                                text=best["best_run"], textposition="top center",
                                marker={"color": PALETTE[1], "size": 14, "symbol": "star"},
                                hovertemplate="%{text}: %{y:.4g}<extra>sprint's best</extra>"))
    for value, name, colour in ((baseline, "baseline", PALETTE[3]), (target, "target", PALETTE[2])):
        if value is not None:
            figure.add_hline(y=value, line={"dash": "dash", "color": colour, "width": 2},
                             annotation_text=f"{name} {value:.4g}", annotation_position="top left")
    figure.update_layout(title=f"{key}: best per sprint and best so far", xaxis_title="Sprint", yaxis_title=key,
                         height=450, xaxis={"type": "category"})
    return figure


def parallel_figure(table: pd.DataFrame, metric: str) -> go.Figure:
    """Parallel coordinates: one axis per varying numeric config key, the metric last, lines coloured by it."""
    dimensions = [{"label": column, "values": table[column].to_numpy(np.float32)}
                  for column in table.columns if column != "run_id"]
    figure = go.Figure(go.Parcoords(line={"color": table[metric].to_numpy(np.float32), "colorscale": "Viridis",
                                          "showscale": True}, dimensions=dimensions))
    figure.update_layout(title=f"Config → {metric}", height=430)
    return figure


def _runs(count: int) -> str:
    return f"{count} run" if count == 1 else f"{count} runs"
