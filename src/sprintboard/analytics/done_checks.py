"""Definition of Done for ML work, checked per item where the data allows.

Checks (each ``pass``, ``fail`` or ``n/a`` with a plain-language detail):

* **baseline reached** -- for a hypothesis: its final verdict is supported (refuted, inconclusive and expired
  fail; open is n/a until runs finish). Other items: n/a;
* **reproducible** -- every finished run testing the item records a git commit and a config;
* **documented** -- every finished run testing the item has notes;
* **bias check** -- the finished runs' logged predictions pass the team's bias check (see
  :func:`sprintboard.analytics.bias_data.bias_gate`: Fail or Inconclusive on a metric that matters fails, n/a
  without a predictions table or with too little data).

A run tests an item when it is linked to the item's hypothesis (see :mod:`sprintboard.analytics.hypothesis_data`)
or names the item in its ``hyp:`` tag or ``hypothesis`` config key. Items without runs get n/a for the run checks.
"""

from __future__ import annotations

from datetime import datetime

import duckdb
import pandas as pd

from sprintboard.analytics.bias_data import bias_gate
from sprintboard.analytics.hypothesis_data import sprint_hypotheses

CHECKS = ("baseline reached", "reproducible", "documented", "bias check")
CHECK_COLUMNS = ["item_id", "title", "check", "status", "detail"]


def _item_runs(con: duckdb.DuckDBPyConnection, sprint_id: str) -> pd.DataFrame:
    return con.execute(
        """SELECT i.item_id, r.run_id, r.state, r.git_commit, r.notes,
                  (SELECT count(*) FROM run_config c WHERE c.run_id = r.run_id) AS config_keys
           FROM work_items i
           JOIN hypotheses h ON h.item_id = i.item_id OR h.hypothesis_id = i.item_id
           JOIN runs r ON r.hypothesis_ref IN (h.hypothesis_id, i.item_id) OR list_contains(h.run_ids, r.run_id)
           WHERE i.sprint_id = ?
           UNION
           SELECT i.item_id, r.run_id, r.state, r.git_commit, r.notes,
                  (SELECT count(*) FROM run_config c WHERE c.run_id = r.run_id)
           FROM work_items i JOIN runs r ON r.hypothesis_ref = i.item_id
           WHERE i.sprint_id = ?""",
        [sprint_id, sprint_id],
    ).df()


def definition_of_done(con: duckdb.DuckDBPyConnection, sprint_id: str, as_of: datetime) -> pd.DataFrame:
    """One row per item of the sprint and check (:data:`CHECK_COLUMNS`)."""
    items = con.execute("SELECT item_id, title FROM work_items WHERE sprint_id = ? ORDER BY item_id",
                        [sprint_id]).fetchall()
    verdicts = {card.item_id or card.hypothesis_id: card.verdict for card in sprint_hypotheses(con, None, as_of)}
    runs = _item_runs(con, sprint_id)
    rows = []
    for item_id, title in items:
        verdict = verdicts.get(item_id)
        if verdict is None:
            rows.append([item_id, title, "baseline reached", "n/a", "not a hypothesis"])
        elif verdict.final == "open":
            rows.append([item_id, title, "baseline reached", "n/a", f"open: {verdict.reason}"])
        else:
            rows.append([item_id, title, "baseline reached", "pass" if verdict.final == "supported" else "fail",
                         f"{verdict.final}: {verdict.reason}"])
        finished = runs[(runs["item_id"] == item_id) & (runs["state"] == "finished")]
        if finished.empty:
            rows.append([item_id, title, "reproducible", "n/a", "no finished runs"])
            rows.append([item_id, title, "documented", "n/a", "no finished runs"])
        else:
            missing = finished[finished["git_commit"].isna() | (finished["config_keys"] == 0)]["run_id"].tolist()
            rows.append([item_id, title, "reproducible", "fail" if missing else "pass",
                         f"no git commit or config: {', '.join(missing)}" if missing else
                         f"{len(finished)} runs record a commit and a config"])
            silent = finished[finished["notes"].isna() | (finished["notes"].str.strip() == "")]["run_id"].tolist()
            rows.append([item_id, title, "documented", "fail" if silent else "pass",
                         f"no notes: {', '.join(silent)}" if silent else f"{len(finished)} runs have notes"])
        rows.append([item_id, title, "bias check", *bias_gate(con, finished["run_id"].tolist())])
    return pd.DataFrame(rows, columns=CHECK_COLUMNS)
