"""One Plotly look for every chart, readable on a projector: large type, thick lines, a colour-blind-safe palette."""

from __future__ import annotations

from pathlib import Path

import plotly.graph_objects as go
import plotly.io as pio

TEMPLATE_NAME = "sprintboard"
# Okabe-Ito: distinguishable with the common colour-vision deficiencies and on washed-out projectors.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
# The browser tab's icon, served by the app itself: a Material icon there would be fetched from Google's font
# server, which an offline sprint-review room cannot reach.
FAVICON = Path(__file__).with_name("favicon.png")


def _template() -> go.layout.Template:
    return go.layout.Template(
        layout=go.Layout(
            font={"size": 16},
            title={"font": {"size": 20}},
            colorway=PALETTE,
            legend={"font": {"size": 14}},
            margin={"l": 60, "r": 20, "t": 50, "b": 50},
            hoverlabel={"font": {"size": 14}},
            xaxis={"showgrid": True, "gridcolor": "#e5e5e5", "zeroline": False},
            yaxis={"showgrid": True, "gridcolor": "#e5e5e5", "zeroline": False},
            plot_bgcolor="white",
        ),
        data={"scatter": [go.Scatter(line={"width": 3})]},
    )


def register() -> None:
    """Make the Sprintboard template Plotly's default (idempotent)."""
    pio.templates[TEMPLATE_NAME] = _template()
    pio.templates.default = f"plotly_white+{TEMPLATE_NAME}"
