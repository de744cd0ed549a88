"""Reading arrays back out of a Plotly figure's JSON, where Plotly may store them as base64 typed arrays."""

from __future__ import annotations

import base64

import numpy as np


def values(array) -> list:
    """A trace's ``x``/``y`` as a list, whether written as a list or as ``{"dtype": ..., "bdata": ...}``."""
    if isinstance(array, dict) and "bdata" in array:
        decoded = np.frombuffer(base64.b64decode(array["bdata"]), dtype=np.dtype(array["dtype"]))
        if "shape" in array:
            decoded = decoded.reshape([int(n) for n in str(array["shape"]).split(",")])
        return decoded.tolist()
    return list(array)
