"""Writing parsed runs and backlogs into the store (the only module that turns parsed objects into rows).

Every function here runs inside the caller's transaction; the ingest driver wraps one file in one transaction.

Re-loading is idempotent: a run's row, config and summary keys are replaced; its history is replaced over the step
range the new source covers (so a grown log replaces what it had and adds the rest, and the second part of a resumed
run, which starts at a later step, adds to the first part instead of erasing it); its tables are replaced per key.

A run marked ``logged_data_only`` (a chart export, an API history dump, a table file: sources that carry logged data
but none of the run's own fields) leaves the run's row, config and summary as they are; its row is added, with
state ``unknown``, only when the store does not have the run yet. Its history replaces, over the step range it
covers, only the keys it carries: a chart of one metric does not erase the run's other metrics.

Backlog rows are replaced by id, except that a sprint keeps the goal, dates, team and state the new source leaves
empty; an item's events are replaced by those of the newest source that has any.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb
import pandas as pd
import pyarrow as pa

from sprintboard.ingest.parsed import ParsedBacklog, ParsedFairnessPolicy, ParsedRun, split_value, to_json

_SPRINT_TAG = re.compile(r"^sprint:(.+)$")
_HYPOTHESIS_TAG = re.compile(r"^hyp:(.+)$")


@dataclass
class LoadCounts:
    runs: int = 0
    history_rows: int = 0
    table_rows: int = 0
    backlog_rows: int = 0

    def add(self, other: LoadCounts) -> None:
        self.runs += other.runs
        self.history_rows += other.history_rows
        self.table_rows += other.table_rows
        self.backlog_rows += other.backlog_rows


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def run_references(run: ParsedRun) -> tuple[str | None, str | None]:
    """The sprint and hypothesis a run names: tags ``sprint:<name>``/``hyp:<id>`` win over config keys ``sprint``
    and ``hypothesis``. ``None`` where the run names none (the sprint may still follow from its start time)."""
    sprint = hypothesis = None
    for tag in run.tags:
        if (match := _SPRINT_TAG.match(tag)) and sprint is None:
            sprint = match.group(1).strip()
        if (match := _HYPOTHESIS_TAG.match(tag)) and hypothesis is None:
            hypothesis = match.group(1).strip()
    if sprint is None and isinstance(run.config.get("sprint"), str | int):
        sprint = str(run.config["sprint"])
    if hypothesis is None and isinstance(run.config.get("hypothesis"), str | int):
        hypothesis = str(run.config["hypothesis"])
    return sprint, hypothesis


# Rows go in as Arrow tables, not pandas frames: pandas cannot tell a logged NaN (a diverged loss, which must stay
# visible) from a missing value, and DuckDB reads a pandas NaN as NULL; Arrow keeps the two apart.


def _key_value_table(runs: list[ParsedRun], section: str) -> pa.Table:
    """The config or summary (``section``) of ``runs`` as one table of ``run_id, key, value_json, value_num,
    value_text`` rows."""
    run_ids, keys, jsons, nums, texts = [], [], [], [], []
    for run in runs:
        values = getattr(run, section)
        run_ids.extend([run.run_id] * len(values))
        keys.extend(values)
        for value in values.values():
            num, text = split_value(value)
            jsons.append(to_json(value))
            nums.append(num)
            texts.append(text)
    return pa.table({
        "run_id": pa.array(run_ids, pa.string()),
        "key": pa.array(keys, pa.string()),
        "value_json": pa.array(jsons, pa.string()),
        "value_num": pa.array(nums, pa.float64()),
        "value_text": pa.array(texts, pa.string()),
    })


_RUN_FIELDS = (  # store column, ParsedRun attribute, Arrow type
    ("run_id", "run_id", pa.string()), ("project", "project", pa.string()), ("entity", "entity", pa.string()),
    ("name", "name", pa.string()), ("state", "state", pa.string()), ("created_at", "created_at", pa.timestamp("us")),
    ("runtime_s", "runtime_s", pa.float64()), ("exit_code", "exit_code", pa.int32()), ("notes", "notes", pa.string()),
    ("user_name", "user", pa.string()), ("group_name", "group", pa.string()), ("job_type", "job_type", pa.string()),
    ("tags", "tags", pa.list_(pa.string())), ("sweep_id", "sweep_id", pa.string()), ("host", "host", pa.string()),
    ("git_commit", "git_commit", pa.string()), ("git_remote", "git_remote", pa.string()),
    ("program", "program", pa.string()), ("url", "url", pa.string()),
)


def _runs_table(runs: list[ParsedRun], source_path: str) -> pa.Table:
    columns = {column: pa.array([getattr(run, attribute) if attribute != "tags" else list(run.tags) for run in runs],
                                kind) for column, attribute, kind in _RUN_FIELDS}
    references = [run_references(run) for run in runs]
    columns["sprint_ref"] = pa.array([sprint for sprint, _ in references], pa.string())
    columns["hypothesis_ref"] = pa.array([hypothesis for _, hypothesis in references], pa.string())
    columns["source_path"] = pa.array([source_path] * len(runs), pa.string())
    columns["loaded_at"] = pa.array([_now()] * len(runs), pa.timestamp("us"))
    return pa.table(columns)


def load_runs(con: duckdb.DuckDBPyConnection, runs: list[ParsedRun], source_path: str) -> LoadCounts:
    """Insert or update the runs of one unit with their config, summary, history and tables (see the module
    docstring). Run rows, config and summary go in with one statement each for the whole unit -- a runs-table export
    holds thousands of runs, and statements per run make a transaction's commit grow with their number. A run id
    given twice in one unit keeps its last occurrence, as loading the runs one after another would."""
    last = {run.run_id: run for run in runs}
    full = [run for run in last.values() if not run.logged_data_only]
    counts = LoadCounts(runs=len(last))
    if full:
        incoming = {"incoming_runs": _runs_table(full, source_path),
                    "incoming_config": _key_value_table(full, "config"),
                    "incoming_summary": _key_value_table(full, "summary")}
        for name, table in incoming.items():
            con.register(name, table)
        try:
            for table, source in (("runs", "incoming_runs"), ("run_config", "incoming_config"),
                                  ("run_summary", "incoming_summary")):
                # Table names are ours, never user text.
                con.execute(f"DELETE FROM {table} WHERE run_id IN (SELECT run_id FROM incoming_runs)")  # noqa: S608
                con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM {source}")  # noqa: S608
        finally:
            for name in incoming:
                con.unregister(name)
    for run in last.values():
        if run.logged_data_only:
            _add_run_if_missing(con, run, source_path)
        counts.history_rows += _load_history(con, run)
        counts.table_rows += _load_tables(con, run)
    return counts


def load_run(con: duckdb.DuckDBPyConnection, run: ParsedRun, source_path: str) -> LoadCounts:
    """:func:`load_runs` of one run."""
    return load_runs(con, [run], source_path)


def _add_run_if_missing(con: duckdb.DuckDBPyConnection, run: ParsedRun, source_path: str) -> None:
    con.execute(
        """INSERT INTO runs (run_id, name, state, tags, source_path, loaded_at)
           SELECT ?, ?, 'unknown', ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM runs WHERE run_id = ?)""",
        [run.run_id, run.name, list(run.tags), source_path, _now(), run.run_id],
    )


def _load_history(con: duckdb.DuckDBPyConnection, run: ParsedRun) -> int:
    points = run.history
    if not len(points):
        return 0
    incoming = points.to_arrow()
    if incoming.num_columns and incoming.column(0).num_chunks > 1:
        # One chunk: DuckDB inserts rows that come in many small chunks (a .wandb log's history comes in one per
        # batch of records) about a third slower than the same rows in one.
        incoming = incoming.combine_chunks()
    con.register("incoming_history", incoming)
    replaced = "AND key IN (SELECT key FROM incoming_history)" if run.logged_data_only else ""
    # The step range comes from the Arrow column (DuckDB scans it in bulk, not a Python loop over the list).
    con.execute(
        f"""DELETE FROM history WHERE run_id = ?
              AND step BETWEEN (SELECT min(step) FROM incoming_history) AND (SELECT max(step) FROM incoming_history)
              {replaced}""",  # noqa: S608 - our text
        [run.run_id],
    )
    # One thread for the insert: DuckDB's parallel insert of one Arrow chunk costs more than it gains (a million
    # points of a .wandb log: 0.3-0.4 s on one thread, 0.4-0.6 s on two, on the 2-core development machine).
    threads = int(con.execute("SELECT current_setting('threads')").fetchone()[0])
    con.execute("SET threads = 1")
    try:
        # Epoch seconds become TIMESTAMP here; a timestamp that is not finite or lies beyond what a TIMESTAMP holds
        # (a damaged row: ±9.2e12 s is about the year 290,000 either side; its microseconds must fit a BIGINT too)
        # is NULL.
        con.execute(
            """INSERT INTO history (run_id, step, timestamp, runtime_s, key, value_num, value_text)
               SELECT ?, step,
                      CASE WHEN isfinite(timestamp) AND abs(timestamp) < 9.2e12
                           THEN make_timestamp((timestamp * 1e6)::BIGINT) END,
                      runtime, key, value_num, value_text
               FROM incoming_history""",
            [run.run_id],
        )
    finally:
        con.execute(f"SET threads = {threads}")  # noqa: S608 - an int DuckDB gave
    con.unregister("incoming_history")
    refresh_metric_keys(con, run.run_id)
    return len(points)


def refresh_metric_keys(con: duckdb.DuckDBPyConnection, run_id: str | None = None) -> None:
    """Count the run's numeric metrics again over its whole history (a resumed run adds to what was there); every
    run's when ``run_id`` is ``None`` (a store whose history was written without the loader)."""
    if run_id is None:
        con.execute("DELETE FROM metric_keys")
        con.execute("""INSERT INTO metric_keys SELECT run_id, key, count(*) FROM history
                       WHERE value_num IS NOT NULL GROUP BY run_id, key""")
        return
    con.execute("DELETE FROM metric_keys WHERE run_id = ?", [run_id])
    con.execute("""INSERT INTO metric_keys SELECT run_id, key, count(*) FROM history
                   WHERE run_id = ? AND value_num IS NOT NULL GROUP BY run_id, key""", [run_id])


def _load_tables(con: duckdb.DuckDBPyConnection, run: ParsedRun) -> int:
    total = 0
    for table in run.tables:
        rows = []
        for row_index, row in enumerate(table.rows):
            for column, value in zip(table.columns, row, strict=False):
                num, text = split_value(value)
                rows.append((run.run_id, table.key, table.step, row_index, column, num, text))
        con.execute("DELETE FROM predictions WHERE run_id = ? AND table_key = ?", [run.run_id, table.key])
        if not rows:
            continue
        columns = list(zip(*rows, strict=True))
        types = (pa.string(), pa.string(), pa.int64(), pa.int64(), pa.string(), pa.float64(), pa.string())
        names = ("run_id", "table_key", "step", "row_index", "column_name", "value_num", "value_text")
        cells = pa.table({name: pa.array(column, kind) for name, column, kind in zip(names, columns, types,
                                                                                   strict=True)})
        con.register("incoming_cells", cells)
        con.execute("INSERT INTO predictions SELECT * FROM incoming_cells")
        con.unregister("incoming_cells")
        total += len(table.rows)
    return total


def load_backlog(con: duckdb.DuckDBPyConnection, backlog: ParsedBacklog, source_path: str) -> LoadCounts:
    """Insert or replace the sprints, items, events and hypotheses of one backlog file.

    A sprint the store already has keeps the goal, dates, team and state this source leaves empty: a Jira CSV
    export (no sprint dates) loaded after a backlog file that has them does not erase them.
    """
    for sprint in backlog.sprints:
        stored = con.execute(
            "SELECT goal, start_date, end_date, team, state FROM sprints WHERE sprint_id = ?", [sprint.sprint_id]
        ).fetchone() or (None,) * 5
        given = (sprint.goal, sprint.start_date, sprint.end_date, sprint.team, sprint.state)
        kept = [new if new is not None else old for new, old in zip(given, stored, strict=True)]
        con.execute("DELETE FROM sprints WHERE sprint_id = ?", [sprint.sprint_id])
        con.execute(
            "INSERT INTO sprints VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [sprint.sprint_id, sprint.name, *kept, source_path],
        )
    for item in backlog.items:
        con.execute("DELETE FROM work_items WHERE item_id = ?", [item.item_id])
        con.execute(
            "INSERT INTO work_items VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [item.item_id, item.title, item.item_type, item.status, item.points, item.timebox_hours,
             item.sprint_id, item.assignee, item.created_at, item.resolved_at, list(item.labels), source_path],
        )
    event_items = sorted({event.item_id for event in backlog.events})
    for item_id in event_items:
        con.execute("DELETE FROM item_events WHERE item_id = ?", [item_id])
    if backlog.events:
        frame = pd.DataFrame(
            [(e.item_id, e.occurred_at, e.field, e.from_value, e.to_value, e.author, source_path)
             for e in backlog.events],
            columns=["item_id", "occurred_at", "field", "from_value", "to_value", "author", "source_path"],
        )
        con.register("incoming_events", frame)
        con.execute("INSERT INTO item_events SELECT * FROM incoming_events")
        con.unregister("incoming_events")
    for hyp in backlog.hypotheses:
        # A source that lacks the criteria, the baseline or the run list (a Jira hypothesis issue) keeps what another
        # source (a backlog file) gave them, as sprints keep their dates.
        con.execute(
            """INSERT INTO hypotheses VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (hypothesis_id) DO UPDATE SET
                   item_id = excluded.item_id, statement = excluded.statement,
                   owner = coalesce(excluded.owner, hypotheses.owner),
                   sprint_id = coalesce(excluded.sprint_id, hypotheses.sprint_id),
                   timebox_hours = coalesce(excluded.timebox_hours, hypotheses.timebox_hours),
                   criteria = coalesce(excluded.criteria, hypotheses.criteria),
                   aggregation = CASE WHEN excluded.criteria IS NULL THEN hypotheses.aggregation
                                      ELSE excluded.aggregation END,
                   baseline_run_id = coalesce(excluded.baseline_run_id, hypotheses.baseline_run_id),
                   baseline_value = coalesce(excluded.baseline_value, hypotheses.baseline_value),
                   run_ids = CASE WHEN len(excluded.run_ids) = 0 THEN hypotheses.run_ids ELSE excluded.run_ids END,
                   source_path = excluded.source_path""",
            [hyp.hypothesis_id, hyp.item_id, hyp.statement, hyp.owner, hyp.sprint_id, hyp.timebox_hours,
             hyp.criteria, hyp.aggregation, hyp.baseline_run_id, hyp.baseline_value, list(hyp.run_ids),
             source_path],
        )
    for goal in backlog.metric_goals:
        con.execute("DELETE FROM metric_goals WHERE key = ?", [goal.key])
        con.execute("INSERT INTO metric_goals VALUES (?, ?, ?, ?, ?, ?)",
                    [goal.key, goal.better, goal.baseline, goal.target, goal.headline, source_path])
    if backlog.fairness is not None:
        save_fairness_policy(con, backlog.fairness, source_path)
    rows = (len(backlog.sprints) + len(backlog.items) + len(backlog.events) + len(backlog.hypotheses)
            + len(backlog.metric_goals) + (backlog.fairness is not None))
    return LoadCounts(backlog_rows=rows)


_POLICY_FIELDS = ("table_key", "label", "prediction", "score", "threshold", "attributes", "action", "reach",
                  "band_low", "band_high", "min_group_size")


def save_fairness_policy(con: duckdb.DuckDBPyConnection, policy: ParsedFairnessPolicy, source_path: str) -> None:
    """Replace the store's bias-check policy with ``policy``; a field it leaves empty keeps the stored value."""
    stored = con.execute(f"SELECT {', '.join(_POLICY_FIELDS)} FROM fairness_policy").fetchone()  # noqa: S608 - ours
    given = [getattr(policy, name) for name in _POLICY_FIELDS]
    kept = [new if new not in (None, []) else old for new, old in zip(given, stored or (None,) * len(given),
                                                                        strict=True)]
    kept[_POLICY_FIELDS.index("attributes")] = kept[_POLICY_FIELDS.index("attributes")] or []
    con.execute("DELETE FROM fairness_policy")
    con.execute(f"INSERT INTO fairness_policy ({', '.join(_POLICY_FIELDS)}, source_path) "  # noqa: S608 - ours
                f"VALUES ({', '.join('?' * (len(_POLICY_FIELDS) + 1))})", [*kept, source_path])
