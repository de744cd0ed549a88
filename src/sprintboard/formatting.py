"""How numbers read on every surface -- pages, presentation mode and the HTML report -- so they agree."""

from __future__ import annotations

import math


def signed(value: float | None) -> str | None:
    """A delta with its sign in fixed notation (``+0.0021``, never ``9.07e-05``); ``None`` when there is no finite
    value."""
    if value is None or not math.isfinite(value):
        return None
    return f"{value:+.4f}" if abs(value) < 1000 else f"{value:+,.0f}"
