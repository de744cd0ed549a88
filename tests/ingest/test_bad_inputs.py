"""The malformed-input corpus (``tests/fixtures/bad/``): every file is ingested into a store that already holds a real
run and a real Jira export, and either loads faithfully or is rejected alone -- with one line naming the problem --
leaving the store as it was. ``tests/fixtures/bad/README.md`` says what each file is and what must happen to it.

Cases where Sprintboard does not do that yet are marked ``xfail(strict=True)`` with the reason: they are bugs to
fix, and the mark is to be removed with the fix.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import math
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from sprintboard.ingest.detect import IngestOptions
from sprintboard.ingest.driver import UnitOutcome, ingest_paths
from sprintboard.store import read_connection
from sprintboard.store.queries import table_counts
from tests.conftest import FIXTURES

BAD = FIXTURES / "bad"
GOOD_RUN_FOLDER = FIXTURES / "wandb" / "run-20241012_160630-jqe8zy9r"
GOOD_RUN = "jqe8zy9r"
JIRA_CSV = FIXTURES / "jira" / "harshal-08__Jira-Sprint-1__Jira.csv"
# Every corpus file is ingested as `sprintboard ingest --run bad-input FILE`: the option reaches only history dumps
# and table files, which hold no run id of their own.
DUMP_RUN = "bad-input"
OPTIONS = IngestOptions(run_id=DUMP_RUN)
# A reason that is only an exception's class and message ("OverflowError: int too large ...") is a crash the parser
# did not expect, reported as it was caught, not a reason.
_EXCEPTION_NAME = re.compile(r"^[A-Z][A-Za-z]*(Error|Exception|Warning)\b")
_RUN_TABLES = ("runs", "run_config", "run_summary", "history", "predictions", "metric_keys")
_BACKLOG_TABLES = ("sprints", "work_items", "hypotheses")


def load_maker() -> ModuleType:
    """``tests/fixtures/bad/make_bad_inputs.py``, the script that writes the corpus, as a module."""
    name = "make_bad_inputs"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, BAD / "make_bad_inputs.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


maker = load_maker()

# -- reading the store


Cell = tuple[float | None, str | None]


def _history(store: Path, run_id: str) -> dict[int, dict[str, Cell]]:
    with read_connection(store) as con:
        rows = con.execute("SELECT step, key, value_num, value_text FROM history WHERE run_id = ?", [run_id]).fetchall()
    history: dict[int, dict[str, Cell]] = {}
    for step, key, num, text in rows:
        assert key not in history.setdefault(step, {}), f"{key} twice at step {step}"
        history[step][key] = (num, text)
    return history


def _run(store: Path, run_id: str) -> dict[str, Any] | None:
    with read_connection(store) as con:
        cursor = con.execute("SELECT * FROM runs WHERE run_id = ?", [run_id])
        row = cursor.fetchone()
        return None if row is None else dict(zip([d[0] for d in cursor.description], row, strict=True))


def _values(store: Path, run_id: str) -> dict[str, Cell]:
    """A run's config and summary keys together (a runs table's split between them is tested elsewhere)."""
    with read_connection(store) as con:
        rows = con.execute("""SELECT key, value_num, value_text FROM run_config WHERE run_id = ? UNION ALL
                              SELECT key, value_num, value_text FROM run_summary WHERE run_id = ?""",
                           [run_id, run_id]).fetchall()
    return {key: (num, text) for key, num, text in rows}


def _cells(store: Path, run_id: str, table_key: str) -> dict[tuple[int, str], Cell]:
    with read_connection(store) as con:
        rows = con.execute("""SELECT row_index, column_name, value_num, value_text FROM predictions
                              WHERE run_id = ? AND table_key = ?""", [run_id, table_key]).fetchall()
    return {(row, column): (num, text) for row, column, num, text in rows}


def _same(actual: Cell, expected: Any) -> bool:
    """A stored ``(value_num, value_text)`` pair holds ``expected`` (a number, NaN included, or a text)."""
    num, text = actual
    if isinstance(expected, str):
        return num is None and text == expected
    return text is None and num is not None and (num == expected or (math.isnan(num) and math.isnan(expected)))


def _counts(store: Path) -> dict[str, int]:
    with read_connection(store) as con:
        return {table: count for table, count in table_counts(con).items() if table != "ingest_log"}


def _good_data(store: Path) -> dict[str, tuple]:
    """Row count and an order-free digest of every row of the good run and of the Jira export's backlog rows."""
    digests = {}
    with read_connection(store) as con:
        for table in _RUN_TABLES:
            digests[table] = con.execute(f"SELECT count(*), sum(hash(t)::HUGEINT) FROM {table} t "  # noqa: S608
                                         "WHERE run_id = ?", [GOOD_RUN]).fetchone()
        for table in _BACKLOG_TABLES:
            digests[table] = con.execute(f"SELECT count(*), sum(hash(t)::HUGEINT) FROM {table} t "  # noqa: S608
                                         "WHERE source_path = ?", [str(JIRA_CSV)]).fetchone()
    return digests


# -- the store every case starts from


@dataclass(frozen=True)
class Baseline:
    store: Path
    counts: dict[str, int]
    good: dict[str, tuple]


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> Baseline:
    """A store holding a real run (nanoGPT, wandb 0.18) and a real Jira CSV export, built once."""
    store = tmp_path_factory.mktemp("baseline") / "baseline.duckdb"
    report = ingest_paths(store, [GOOD_RUN_FOLDER, JIRA_CSV])
    assert [o.status for o in report.outcomes] == ["loaded", "loaded"], report.outcomes
    good = _good_data(store)
    assert good["history"][0] > 40_000 and good["work_items"][0] == 76
    return Baseline(store, _counts(store), good)


@pytest.fixture
def store(baseline: Baseline, tmp_path: Path) -> Path:
    copy = tmp_path / "store.duckdb"
    shutil.copyfile(baseline.store, copy)
    return copy


# -- expectations


Check = Callable[[Path, UnitOutcome], None]


@dataclass(frozen=True)
class Expect:
    """What must happen to one corpus file.

    ``outcome``: ``loaded``, ``rejected``, or ``either`` (both are right, each with its own condition). ``reason``: a
    pattern the rejection's reason must contain (``None``: any one-line reason). ``check``: what a load must have
    stored. ``bug``: why Sprintboard does not do this yet (the case is then an expected failure). ``bounded``: the
    ingest runs in a child process stopped after ``bounded`` seconds or 2 GiB of memory.
    """

    outcome: str
    reason: str | None = None
    check: Check | None = None
    bug: str | None = None
    bounded: float | None = None


def loads(check: Check, bug: str | None = None) -> Expect:
    return Expect("loaded", check=check, bug=bug)


def rejects(reason: str | None = None, bug: str | None = None, bounded: float | None = None) -> Expect:
    return Expect("rejected", reason=reason, bug=bug, bounded=bounded)


def either(check: Check, reason: str | None, bug: str | None = None) -> Expect:
    return Expect("either", reason=reason, check=check, bug=bug)


def _warned(outcome: UnitOutcome, pattern: str) -> None:
    assert any(re.search(pattern, warning) for warning in outcome.warnings), (pattern, outcome.warnings)


def _log_rows(steps: list[int], state: str, warning: str | None, changed: dict[int, dict[str, Any]] | None = None,
              row: Callable[[int], dict[str, str]] | None = None) -> Check:
    """A load of the synthetic run ``badlog``: exactly the rows ``steps``, each with the values it was logged with
    (``changed`` replaces some), the run in ``state``, and a warning matching ``warning``."""
    row = row or maker.log_row

    def check(store: Path, outcome: UnitOutcome) -> None:
        run = _run(store, maker.LOG_RUN_ID)
        assert (run["name"], run["project"], run["state"]) == ("bad inputs", "corpus", state)
        history = _history(store, maker.LOG_RUN_ID)
        assert sorted(history) == steps
        for step in steps:
            expected = {key: json.loads(raw) for key, raw in row(step).items()} | (changed or {}).get(step, {})
            assert history[step].keys() == expected.keys(), step
            for key, value in expected.items():
                assert _same(history[step][key], value), (step, key, history[step][key], value)
        if warning:
            _warned(outcome, warning)

    return check


_ALL_ROWS = list(range(maker.LOG_ROWS))
_ZEROED_ROWS = maker.steps_clear_of_block(maker.base_log()[1], maker.base_steps())
_SPLICE_LOG = maker.splice_log()
_SPLICED_ROWS = maker.steps_clear_of_block(_SPLICE_LOG[1], _SPLICE_LOG[2])


def _history_points(points: dict[int, dict[str, Any]], run_id: str = DUMP_RUN) -> Check:
    def check(store: Path, outcome: UnitOutcome) -> None:
        history = _history(store, run_id)
        assert history.keys() == points.keys()
        for step, values in points.items():
            assert history[step].keys() == values.keys(), step
            for key, value in values.items():
                assert _same(history[step][key], value), (step, key, history[step][key], value)
        run = _run(store, run_id)
        assert run["state"] == "unknown"  # a dump adds a bare run

    return check


def _table_cells(key: str, cells: dict[tuple[int, str], Any]) -> Check:
    def check(store: Path, outcome: UnitOutcome) -> None:
        stored = _cells(store, DUMP_RUN, key)
        assert stored.keys() == cells.keys()
        for where, value in cells.items():
            assert _same(stored[where], value), (where, stored[where], value)

    return check


def _kingb12_runs(store: Path, outcome: UnitOutcome) -> None:
    """The five runs of the real runs-table export every derived copy (BOM, ';', UTF-16) comes from."""
    with open(maker.KINGB12_RUNS, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 5
    for row in rows:
        run = _run(store, row["ID"])
        assert run is not None and run["name"] == row["Name"], row["ID"]
        values = _values(store, row["ID"])
        assert not any(key.startswith("\ufeff") for key in values)
        for column in ("train/aug_on_aug_test_accuracy", "train/aug_on_clean_test_f1", "augment_probability"):
            if row[column]:
                assert _same(values[column], float(row[column])), (row["ID"], column)


def _runs_named(expected: dict[str, dict[str, Any]]) -> Check:
    """Runs of a hand-made runs table (no ID column: ids are ``name:<Name>``), with fields and values."""
    def check(store: Path, outcome: UnitOutcome) -> None:
        for name, fields in expected.items():
            run = _run(store, f"name:{name}")
            assert run is not None, name
            values = _values(store, f"name:{name}")
            for field, value in fields.items():
                if field in run:
                    assert run[field] == value, (name, field, run[field])
                else:
                    assert _same(values[field], value), (name, field, values.get(field))

    return check


def _runs_and_warning(expected: dict[str, dict[str, Any]], pattern: str) -> Check:
    runs = _runs_named(expected)

    def check(store: Path, outcome: UnitOutcome) -> None:
        runs(store, outcome)
        _warned(outcome, pattern)

    return check


def _lucas_history(store: Path, outcome: UnitOutcome) -> None:
    """The real API history dump the CRLF + BOM copy comes from: every logged number of three metrics."""
    with open(maker.LUCAS_HISTORY, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    history = _history(store, DUMP_RUN)
    assert len(history) == len(rows) == 523
    for row in rows:
        step = int(row["_step"])
        for column in ("train/step_loss", "val/loss", "lr"):
            if row[column]:
                assert _same(history[step][column], float(row[column])), (step, column)
            else:
                assert column not in history[step]
    assert not any(key.startswith("\ufeff") for points in history.values() for key in points)


def _warns(pattern: str) -> Check:
    def check(store: Path, outcome: UnitOutcome) -> None:
        _warned(outcome, pattern)

    return check


HUGE = str(10**400)
NAN, INF = math.nan, math.inf

EXPECT: dict[str, Expect] = {
    # -- .wandb run logs
    "truncated_in_header.wandb": rejects(r"is 5 bytes long, shorter than the 7-byte W&B log header"),
    "truncated_in_chunk_header.wandb": loads(_log_rows(list(range(maker.DAMAGED_ROW)), "running/killed",
                                                       r"torn tail .* ends inside a chunk header")),
    "truncated_in_chunk_data.wandb": loads(_log_rows(list(range(maker.DAMAGED_ROW)), "running/killed",
                                                     r"torn tail .* ends inside a chunk's data")),
    "bad_crc.wandb": loads(_log_rows([s for s in _ALL_ROWS if s != maker.DAMAGED_ROW], "finished",
                                     r"bad checksum at byte \d+")),
    "zero_block_in_middle.wandb": loads(_log_rows(_ZEROED_ROWS, "finished", r"zero-filled region at byte 32768")),
    "zero_block_splices_records.wandb": loads(
        _log_rows(_SPLICED_ROWS, "running/killed", r"zero-filled region at byte 32768", row=maker.splice_row)),
    "random_bytes_after_header.wandb": rejects(r"holds no run record"),
    "newer_version.wandb": rejects(r"is a W&B run log of version 1; only version 0 is known"),
    "wrong_magic.wandb": rejects(r"is not a W&B run log"),
    "header_only.wandb": rejects(r"holds no run record"),
    "unknown_chunk_type.wandb": loads(_log_rows([s for s in _ALL_ROWS if s != 3], "finished",
                                                r"unknown chunk type 9 at byte \d+")),
    "record_not_protobuf.wandb": loads(_log_rows(_ALL_ROWS, "finished", r"not a valid W&B Record")),
    "history_value_not_json.wandb": loads(_log_rows(_ALL_ROWS, "finished", r"'0\.5\.5' is not valid JSON",
                                                    changed={5: {"loss": "0.5.5"}})),
    "step_beyond_int64.wandb": either(
        _log_rows([s for s in _ALL_ROWS if s != 5], "finished", str(2**63)), rf"{2**63}|_step"),
    # -- JSON: logged tables (ingested with --run) and history dumps
    "nan_infinity.table.json": loads(_table_cells("nan_infinity", {
        **{(row, "id"): row + 1.0 for row in range(4)},
        (0, "score"): NAN, (1, "score"): INF, (2, "score"): -INF, (3, "score"): 0.25,
        (0, "group"): "a", (1, "group"): "b", (2, "group"): "c", (3, "group"): "d"})),
    "nan_infinity_history.json": loads(_history_points(
        {0: {"loss": NAN, "gain": 1.5}, 1: {"loss": INF, "gain": 2.5}, 2: {"loss": -INF, "gain": 3.5}})),
    "huge_integer.table.json": either(
        _table_cells("huge_integer", {(0, "id"): 1.0, (0, "score"): HUGE, (0, "group"): "a", (1, "id"): 2.0,
                                      (1, "score"): 0.5, (1, "group"): "b"}),
        r"data\[0\]"),
    "huge_integer_history.json": either(
        _history_points({0: {"loss": 0.5, "count": HUGE}, 1: {"loss": 0.25, "count": 3.0}}),
        r"record 0"),
    "deep_nesting.table.json": rejects(r"recursion|nest"),
    "deep_nesting_history.json": rejects(r"nested too deeply"),
    "top_level_array.table.json": rejects(),
    "line_is_array_history.json": rejects(r"^line 2 is not a JSON object$"),
    "duplicate_keys_history.json": either(
        _warns(r"'loss'"), r"'loss'.*(twice|more than once|duplicate)"),
    "invalid_utf8.table.json": rejects(r"^is not UTF-8 text \(byte 45\)$"),
    "invalid_utf8_history.json": rejects(r"^is not UTF-8 text \(byte 26\)$"),
    "empty.json": rejects(r"^is empty$"),
    "data_rows_longer.table.json": rejects(r"^data\[1\] has 3 cells where there are 2 columns$"),
    "step_text_history.json": rejects(r"^record 1: _step 'ten' is not a whole number$"),
    # -- CSV
    "bom_runs_table.csv": loads(_kingb12_runs),
    "semicolon_runs_table.csv": either(
        _kingb12_runs, r"';'|semicolon|separat|delimit"),
    "ragged_more_cells.csv": rejects(r"^line 3 has 12 values where the header has 11 columns$"),
    "ragged_fewer_cells.csv": rejects(r"^line 3 has 9 values where the header has 11 columns$"),
    "duplicate_headers.csv": rejects(r"^column 'acc' appears more than once in the header$"),
    "latin1_runs_table.csv": either(
        _runs_named({"café-run": {"notes": "résumé des essais"}}), r"UTF-8|Latin-1|ISO-8859|encod"),
    "utf16_runs_table.csv": either(
        _kingb12_runs, r"UTF-16|UTF-8|encod"),
    "empty.csv": rejects(r"^is empty$"),
    "header_only_runs_table.csv": rejects(r"^has a header but no runs$"),
    "nul_byte_runs_table.csv": either(_runs_named({"run-a": {"notes": "before\x00after"}}), r"binary|NUL"),
    "quoted_newlines_runs_table.csv": loads(_runs_named({
        "run-a": {"notes": "first line\nsecond line, with a comma", "acc": 0.75},
        "run-b": {"notes": 'a "quoted" word\r\nand a CRLF', "loss": 0.5}})),
    "only_name_runs_table.csv": either(_runs_named({"run-a": {}, "run-b": {}, "run-c": {}}), None),
    "unterminated_quote.csv": rejects(r"^is not valid CSV at line 3: unexpected end of data$"),
    "created_not_a_date.csv": rejects(r"^line 3, column Created: 'yesterday' is not a date-time"),
    "huge_integer_runs_table.csv": either(
        _runs_and_warning({"run-a": {"acc": HUGE}, "run-b": {"acc": 0.75}}, r"^line 2, column 'acc': .* digits"),
        r"line 2.*acc"),
    "nested_cell_overwrites_column.csv": either(
        _runs_and_warning({"run-a": {"lr.a": 5.0, "acc": 0.75}}, r"'lr\.a'"), r"'lr\.a'"),
    "png_bytes.csv": rejects(r"^is a binary file"),
    "step_text_history.csv": rejects(r"^line 3: _step 'one' is not a whole number$"),
    "crlf_bom_history.csv": loads(_lucas_history),
    "chart_step_repeated.csv": rejects(r"^line 4: Step 1 appears twice \(first on line 3\)$"),
    "jira_no_issue_key.csv": rejects(
        r"Issue key"),
    # -- backlog YAML
    "tab_indent.yaml": rejects(
        r"not valid YAML.*line \d+|\btab\b"),
    "billion_laughs.yaml": rejects(
        bounded=10),
    "unknown_item_type.yaml": rejects(r"^items\[0\]\.type: 'epic' is not one of story, hypothesis, spike, task"),
    "date_not_a_date.yaml": rejects(r"^sprints\[0\]\.start: must be a date like 2026-09-14, got '2026-02-30'$"),
    "date_in_words.yaml": rejects(r"^sprints\[0\]\.start: must be a date like 2026-09-14, got 'next monday'$"),
    "duplicate_ids.yaml": rejects(r"^item id 'B-1' appears twice$"),
    "duplicate_keys.yaml": either(
        _warns(r"'points'"), r"'points'.*(twice|more than once|duplicate)"),
    "python_tag.yaml": rejects(),
}


def _params() -> list:
    params = []
    for name, expect in EXPECT.items():
        marks = [pytest.mark.xfail(strict=True, reason=expect.bug)] if expect.bug else []
        params.append(pytest.param(name, expect, id=name, marks=marks))
    return params


# -- running one ingest


_CHILD = """
import json, sys
from pathlib import Path
from sprintboard.ingest.detect import IngestOptions
from sprintboard.ingest.driver import ingest_paths
report = ingest_paths(Path(sys.argv[1]), [Path(sys.argv[2])], options=IngestOptions(run_id=sys.argv[3]))
print(json.dumps([vars(o) | {"counts": None} for o in report.outcomes]))
"""
_MEMORY_LIMIT = 2 << 30


def _rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as status:
            return next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmRSS:"))
    except (OSError, StopIteration):
        return 0


def ingest_bounded(store: Path, path: Path, seconds: float, memory: int = _MEMORY_LIMIT) -> list[UnitOutcome]:
    """Ingest ``path`` in a child process, stopped (and the test failed) after ``seconds`` or once it holds more than
    ``memory`` bytes: a case that may run away must not take the test machine with it."""
    child = subprocess.Popen([sys.executable, "-c", _CHILD, str(store), str(path), DUMP_RUN],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    started, peak, stopped = time.monotonic(), 0, None
    while child.poll() is None:
        peak = max(peak, _rss(child.pid))
        if peak > memory:
            stopped = f"held {peak / 2**20:.0f} MiB, more than {memory / 2**20:.0f} MiB"
        elif time.monotonic() - started > seconds:
            stopped = f"ran longer than {seconds:g} s"
        if stopped:
            child.kill()
            child.communicate()
            pytest.fail(f"ingesting {path.name} {stopped}")
        time.sleep(0.05)
    out, err = child.communicate()
    assert child.returncode == 0, err[-2000:]
    return [UnitOutcome(**record) for record in json.loads(out)]


def _assert_rejected(outcome: UnitOutcome, path: Path, reason: str | None) -> None:
    assert outcome.status == "rejected", outcome
    assert outcome.path == str(path)
    line = f"{outcome.path}: {outcome.error}"  # as `sprintboard ingest` prints it
    assert outcome.error and "\n" not in line and "\r" not in line, line
    assert "Traceback" not in line and 'File "' not in line, line
    assert not _EXCEPTION_NAME.match(outcome.error), f"an exception's name, not a reason: {outcome.error}"
    assert not outcome.error.startswith(str(path)), "the path is given once, beside the reason"
    if reason is not None:
        assert re.search(reason, outcome.error), (reason, outcome.error)


# -- the tests


@pytest.mark.parametrize(("name", "expect"), _params())
def test_a_corpus_file_loads_faithfully_or_is_rejected_alone(name, expect, store, baseline, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # python_tag.yaml would write pwned.txt here if its tag ever ran
    path = BAD / name
    if expect.bounded:
        outcomes = ingest_bounded(store, path, expect.bounded)
    else:
        outcomes = ingest_paths(store, [path], options=OPTIONS).outcomes
    assert len(outcomes) == 1
    [outcome] = outcomes
    assert outcome.status == expect.outcome or expect.outcome == "either" and outcome.status in ("loaded", "rejected")
    if outcome.status == "rejected":
        _assert_rejected(outcome, path, expect.reason)
        assert _counts(store) == baseline.counts
        with read_connection(store) as con:
            logged = con.execute("SELECT path, status, error FROM ingest_log ORDER BY ingest_id DESC LIMIT 1"
                                 ).fetchone()
        assert logged == (str(path), "rejected", outcome.error)
    else:
        assert outcome.status == "loaded" and outcome.error is None
        expect.check(store, outcome)
    assert _good_data(store) == baseline.good
    assert not (tmp_path / "pwned.txt").exists()


def test_loading_a_faithful_corpus_file_again_changes_nothing(store):
    path = BAD / "bad_crc.wandb"
    assert [o.status for o in ingest_paths(store, [path]).outcomes] == ["loaded"]
    counts = _counts(store)
    assert [o.status for o in ingest_paths(store, [path]).outcomes] == ["unchanged"]
    assert _counts(store) == counts


def test_the_whole_corpus_in_one_batch_leaves_the_good_run_intact(store, baseline, tmp_path):
    # Every file at once, as `sprintboard ingest tests/fixtures/bad/` would offer them (the folder's files each
    # a unit).
    folder = tmp_path / "bad"
    folder.mkdir()
    for name in EXPECT:
        shutil.copyfile(BAD / name, folder / name)
    report = ingest_paths(store, [folder], options=OPTIONS)
    assert len(report.outcomes) == len(EXPECT)
    assert all(o.status in ("loaded", "rejected") for o in report.outcomes)
    assert all("\n" not in o.error for o in report.rejected)
    assert _good_data(store) == baseline.good


def test_a_runs_table_with_10000_config_columns_loads(store, tmp_path):
    path = maker.write_wide_config_table(tmp_path / "wide.csv")
    [outcome] = ingest_paths(store, [path]).outcomes
    assert outcome.status == "loaded", outcome.error
    assert outcome.counts.runs == maker.WIDE_RUNS
    with read_connection(store) as con:
        config = dict(con.execute("SELECT run_id, count(*) FROM run_config WHERE run_id LIKE 'wide%' GROUP BY ALL")
                      .fetchall())
        summary = con.execute("SELECT run_id, key, value_num FROM run_summary WHERE run_id LIKE 'wide%' ORDER BY ALL"
                              ).fetchall()
    assert config == {f"wide{run}": maker.WIDE_CONFIG_COLUMNS for run in range(maker.WIDE_RUNS)}
    assert summary == [(f"wide{run}", key, value) for run in range(maker.WIDE_RUNS)
                       for key, value in (("acc", 0.5 + run / 10), ("loss", 1.0 / (run + 1)))]
    for run in range(maker.WIDE_RUNS):
        values = _values(store, f"wide{run}")
        for column in (0, 1, 4_999, 9_998, 9_999):
            assert _same(values[f"cfg_{column:05d}"], maker.wide_config_value(run, column)), (run, column)


@pytest.mark.slow
def test_a_runs_table_with_a_1_gb_line_is_refused_in_bounded_time_and_memory(store, tmp_path):
    path = maker.write_long_line_table(tmp_path / "long_line.csv")
    try:
        # the reader stops 64 MiB into the line: the file is never read whole, nor the line split into cells
        [outcome] = ingest_bounded(store, path, seconds=15, memory=3 << 30)
    finally:
        path.unlink()
    _assert_rejected(outcome, path, r"^line 3 is longer than 64 MiB")


def test_the_corpus_is_what_make_bad_inputs_writes():
    made = maker.corpus()
    on_disk = {p.name for p in BAD.iterdir() if p.is_file()} - maker.KEPT
    assert on_disk == made.keys(), "run tests/fixtures/bad/make_bad_inputs.py"
    for name, data in made.items():
        assert (BAD / name).read_bytes() == data, f"{name}: run tests/fixtures/bad/make_bad_inputs.py"


def test_every_corpus_file_is_described_and_expected():
    readme = (BAD / "README.md").read_text(encoding="utf-8")
    described = set(re.findall(r"^\| `([^`]+)` \|", readme, flags=re.MULTILINE))
    assert described == maker.CASES.keys() == EXPECT.keys()
    assert len(EXPECT) >= 40
    assert all((BAD / name).stat().st_size < 200_000 for name in EXPECT)
