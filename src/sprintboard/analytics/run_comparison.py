"""Runs side by side: their config and summary, and which settings differ.

A *field* is a config key (``config.<key>``) or a summary key (``summary.<key>``). A field *differs* when the runs
do not all hold the same value for it -- a run without the field counts as a different value, since "not set" is a
setting too. Summary keys starting with ``_`` (W&B's own bookkeeping) and logged media are left out.
"""

from __future__ import annotations

import duckdb
import pandas as pd

CONFIG, SUMMARY = "config", "summary"


def _fields(con: duckdb.DuckDBPyConnection, run_ids: list[str]) -> pd.DataFrame:
    return con.execute(
        """SELECT 'config' AS section, run_id, key, value_num, coalesce(value_text, value_json) AS text
           FROM run_config WHERE run_id IN (SELECT unnest(?))
           UNION ALL
           SELECT 'summary', run_id, key, value_num, coalesce(value_text, value_json)
           FROM run_summary WHERE run_id IN (SELECT unnest(?)) AND NOT starts_with(key, '_')
             AND coalesce(value_text, '') NOT LIKE '{"_type":%'""",
        [run_ids, run_ids],
    ).df()


def compare_runs(con: duckdb.DuckDBPyConnection, run_ids: list[str]) -> pd.DataFrame:
    """One row per field of the runs: ``section, field, differs`` and one column per run id (in the order given)
    holding the value (a number, or text), null where the run lacks the field. Fields that differ come first."""
    fields = _fields(con, list(run_ids))
    columns = ["section", "field", "differs", *run_ids]
    if fields.empty:
        return pd.DataFrame(columns=columns)
    fields["value"] = fields["value_num"].astype(object).where(fields["value_num"].notna(), fields["text"])
    wide = fields.pivot(index=["section", "key"], columns="run_id", values="value").reindex(columns=list(run_ids))
    wide = wide.astype(object).where(wide.notna(), None)
    differs = wide.apply(lambda row: len({repr(value) for value in row}) > 1, axis=1)
    table = wide.reset_index().rename(columns={"key": "field"})
    table.insert(2, "differs", differs.to_numpy())
    table.columns.name = None
    return table.sort_values(["differs", "section", "field"], ascending=[False, True, True],
                             ignore_index=True)[columns]


def config_and_metric(con: duckdb.DuckDBPyConnection, run_ids: list[str], metric: str) -> pd.DataFrame:
    """Per run: ``run_id``, each numeric config key that varies across the runs, and the summary ``metric``.

    For a parallel-coordinates chart of config → metric: keys that are the same for every run carry no
    information, and text keys have no axis order, so both are left out. Runs without the metric are left out.
    """
    frame = con.execute(
        """SELECT c.run_id, c.key, c.value_num FROM run_config c
           WHERE c.run_id IN (SELECT unnest(?)) AND c.value_num IS NOT NULL AND isfinite(c.value_num)""",
        [list(run_ids)],
    ).df()
    metric_values = con.execute(
        """SELECT run_id, value_num AS metric FROM run_summary
           WHERE run_id IN (SELECT unnest(?)) AND key = ? AND isfinite(value_num)""",
        [list(run_ids), metric],
    ).df()
    wide = frame.pivot_table(index="run_id", columns="key", values="value_num", aggfunc="first")
    varying = [key for key in wide.columns if wide[key].nunique(dropna=False) > 1]
    table = metric_values.merge(wide[varying].reset_index(), on="run_id", how="left")
    return table[["run_id", *varying, "metric"]].rename(columns={"metric": metric})
