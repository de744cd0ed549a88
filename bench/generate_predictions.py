"""A run's validation predictions as a logged ``wandb.Table`` (``val/predictions``), for the Bias checks page.

Columns ``label`` (0/1), ``prediction`` (0/1, ``score >= 0.5``), ``score`` (4 decimals), ``sex`` and ``age_band``,
as the demo's tables have them. The model separates the classes better the higher the run's ``quality`` (0..1),
and is built to be unfair in a way the page can find: women's positives score lower (their recall trails men's by
about 0.1), and the 65+ band is small (about 4 % of rows), so some of its comparisons have too little data for a
verdict. Seeded by the run id: the same run always gets the same table.

The file is laid out as W&B writes it under a run folder: ``files/media/table/val/predictions_<step>_<hash>.table.json``
(the hash is the first 20 hex digits of the file's SHA-256); :func:`table_reference` is the summary and history
value wandb logs for it.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

KEY = "val/predictions"
COLUMNS = ["label", "prediction", "score", "sex", "age_band"]
AGE_BANDS = ("18-29", "30-44", "45-64", "65+")
_AGE_SHARES = (0.30, 0.36, 0.30, 0.04)


def predictions(run_id: str, quality: float, rows: int = 1000) -> dict:
    """The table document ``{"columns": [...], "data": [[...], ...]}`` of ``run_id``."""
    rng = np.random.default_rng(int(hashlib.sha256(run_id.encode()).hexdigest()[:12], 16))
    label = (rng.random(rows) < 0.3).astype(int)
    female = rng.random(rows) < 0.45
    age = rng.choice(len(AGE_BANDS), size=rows, p=_AGE_SHARES)
    separation = 1.0 + 2.5 * quality
    logit = (label - 0.5) * 2 * separation + rng.normal(0.0, 1.0, rows) - 0.6 * (female & (label == 1))
    score = np.round(1 / (1 + np.exp(-logit)), 4)
    prediction = (score >= 0.5).astype(int)
    data = [[int(y), int(p), float(s), "Female" if f else "Male", AGE_BANDS[a]]
            for y, p, s, f, a in zip(label, prediction, score, female, age, strict=True)]
    return {"columns": COLUMNS, "data": data}


def write_table(files: Path, step: int, document: dict) -> tuple[Path, dict]:
    """Write ``document`` under the run's ``files`` folder; returns the file and its reference."""
    text = json.dumps(document)
    digest = hashlib.sha256(text.encode()).hexdigest()
    relative = f"media/table/{KEY}_{step}_{digest[:20]}.table.json"
    path = files / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path, table_reference(relative, digest, len(text.encode()), document)


def table_reference(relative: str, digest: str, size: int, document: dict) -> dict:
    return {"_type": "table-file", "sha256": digest, "size": size, "path": relative,
            "ncols": len(document["columns"]), "nrows": len(document["data"])}
