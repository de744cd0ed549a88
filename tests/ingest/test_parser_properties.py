"""Properties of the parsers over generated inputs (hypothesis), in six parts:

* any bytes after a valid ``.wandb`` file header parse to a run or raise :class:`WandbLogError`, nothing else, and
  quickly;
* a ``.wandb`` log of random history rows loads into the store as exactly those points;
* a runs table written by Python's ``csv`` module from random cells loads every number as written, or is refused
  with a one-line reason;
* a valid log cut at any byte loads exactly the rows that were complete before the cut;
* a history dump of random records in JSON loads into the store as exactly those points, a whole number too large
  for a float as its digits;
* a CSV file read a line at a time gives the rows, line numbers and refusals that Python's ``csv`` module gives
  over the whole text.

Examples are derandomized (the same ones on every machine) and not saved between runs.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import itertools
import json
import math
import re
import signal
import sys
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from wandb.proto import wandb_internal_pb2 as pb

from sprintboard.ingest.csv_cells import read_csv
from sprintboard.ingest.driver import ingest_paths
from sprintboard.ingest.parsed import ParsedRun
from sprintboard.ingest.wandb_log import WandbLogError
from sprintboard.ingest.wandb_run_file import parse_run_file
from sprintboard.store import read_connection
from sprintboard.store.errors import InputError
from tests.conftest import FIXTURES

# Each example must finish within DEADLINE_MS (hypothesis's deadline, which reports a slow example once it ends);
# one that does not end at all is stopped by an alarm after HANG_S.
DEADLINE_MS = 3000
HANG_S = 20
COMMON = {"derandomize": True, "database": None, "deadline": DEADLINE_MS,
          "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large]}


def load_maker() -> ModuleType:
    """``tests/fixtures/bad/make_bad_inputs.py`` as a module: its container writer builds the logs here, so that
    they are not made by the code under test."""
    name = "make_bad_inputs"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, FIXTURES / "bad" / "make_bad_inputs.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


maker = load_maker()


@contextmanager
def no_hang(seconds: int = HANG_S) -> Iterator[None]:
    """Fail an example that runs for ``seconds`` instead of waiting for it forever."""
    def stop(signum: int, frame: Any) -> None:
        raise TimeoutError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("properties")


_names = itertools.count()


def _fresh(workdir: Path, suffix: str) -> Path:
    return workdir / f"example{next(_names)}{suffix}"


# -- building logs


def history_payload(num: int, step: int, row: dict[str, Any]) -> bytes:
    """A history row as wandb 0.17+ writes it: ``json.dumps`` of each value (``NaN``, ``Infinity`` as bare tokens)
    under a one-part ``nested_key``, then ``_step``, ``_timestamp`` and ``_runtime``."""
    record = pb.Record(num=num)
    for key, value in row.items():
        record.history.item.add(nested_key=[key], value_json=json.dumps(value))
    for key, raw in (("_step", str(step)), ("_timestamp", f"{1_767_225_600 + step}.25"), ("_runtime", f"{step}.25")):
        record.history.item.add(nested_key=[key], value_json=raw)
    record.history.step.num = step
    return record.SerializeToString()


def log_bytes(run_id: str, rows: list[dict[str, Any]]) -> bytes:
    payloads = [maker.run_record(run_id)]
    payloads += [history_payload(step + 2, step, row) for step, row in enumerate(rows)]
    return maker.encode_container(payloads)[0]


# -- (a) any bytes after a valid header


def _framed(chunks: list[tuple[int, bytes, bool]]) -> bytes:
    """Chunks laid end to end after the header, each with a CRC that fits or does not; blocks are not respected,
    so chunks may also run over a block's end."""
    out = bytearray()
    for kind, data, good in chunks:
        crc = zlib.crc32(data, zlib.crc32(bytes([kind]))) if good else 0xDEADBEEF
        out += maker.CHUNK.pack(crc, len(data), kind) + data
    return bytes(out)


_BASE_PAYLOADS = maker.base_payloads()[:8]
_VALID_BODY = maker.encode_container(_BASE_PAYLOADS)[0][7:]


def _mutated(flips: list[tuple[int, int]]) -> bytes:
    """The synthetic run's first records with bytes of their payloads changed, every chunk re-framed with a good
    CRC: well-formed containers of damaged records, which reach the record decoders."""
    payloads = [bytearray(payload) for payload in _BASE_PAYLOADS]
    for at, value in flips:
        payload = payloads[at % len(payloads)]
        payload[(at // len(payloads)) % len(payload)] = value
    return maker.encode_container([bytes(p) for p in payloads])[0][7:]


def _random_record(items: list[tuple[list[str], str]], kind: str) -> bytes:
    """A history, summary or config record with arbitrary keys (one or more parts) and arbitrary value text."""
    record = pb.Record(num=1)
    for parts, raw in items:
        if kind == "history":
            record.history.item.add(nested_key=parts, value_json=raw)
        else:
            getattr(record, kind).update.add(nested_key=parts, value_json=raw)
    return record.SerializeToString()


_json_text = st.one_of(st.text(max_size=20), st.sampled_from(["NaN", "-Infinity", "1e999", "{}", "[1,", '{"_type":',
                                                              "null", "true", "1" * 400, "0.5", '"s"', "{\"a\": {}}"]))
_key_parts = st.lists(st.sampled_from(["_step", "_runtime", "_timestamp", "_wandb", "loss", "val", "a/b", "x.y", ""]),
                      min_size=0, max_size=3)
bodies = st.one_of(
    st.binary(max_size=3000),
    st.lists(st.tuples(st.sampled_from([0, 1, 2, 3, 4, 5, 255]), st.binary(max_size=400), st.booleans()),
             max_size=12).map(_framed),
    st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), min_size=1, max_size=6).map(_mutated),
    st.tuples(st.lists(st.tuples(_key_parts, _json_text), max_size=8),
              st.sampled_from(["history", "summary", "config"])).map(
        lambda made: maker.encode_container([maker.run_record("prop"), _random_record(*made)])[0][7:]),
)


@settings(max_examples=250, **COMMON)
@given(body=bodies, name=st.sampled_from(["run-prop.wandb", "prop.wandb"]))
@example(body=b"", name="prop.wandb")
@example(body=_VALID_BODY, name="prop.wandb")
def test_any_bytes_after_a_valid_header_parse_to_a_run_or_raise_the_log_error(workdir, body, name):
    folder = _fresh(workdir, "")
    folder.mkdir()
    path = folder / name
    path.write_bytes(maker.HEADER.pack(b":W&B", 0xBEE1, 0) + body)
    with no_hang():
        try:
            run = parse_run_file(path)
        except WandbLogError as error:
            assert "\n" not in str(error)
            return
    assert isinstance(run, ParsedRun) and run.run_id
    assert all(isinstance(warning, str) and "\n" not in warning for warning in run.warnings)


def test_a_step_beyond_64_bits_parses_to_a_run_or_raises_the_log_error(workdir):
    # The counterexample the property above found (there in a record of stranger keys), pinned.
    record = pb.Record(num=2)
    record.history.item.add(nested_key=["loss"], value_json="0.5")
    record.history.item.add(nested_key=["_step"], value_json=str(2**63))
    path = _fresh(workdir, ".wandb")
    path.write_bytes(maker.encode_container([maker.run_record("prop"), record.SerializeToString()])[0])
    try:
        run = parse_run_file(path)
    except WandbLogError:
        return
    assert isinstance(run, ParsedRun)


# -- (b) random history rows round-trip through the store


# W&B-like metric names: words joined by '/' (and '.', '-', ' '), unicode letters among them; never a leading '_',
# which marks W&B's own keys.
_WORD = st.text(st.characters(codec="utf-8", categories=["Ll", "Lu", "Lo", "Nd"]) | st.sampled_from("-. "),
                min_size=1, max_size=8)
metric_names = st.one_of(
    st.sampled_from(["loss", "val/loss", "train/acc", "lr", "eval/f1 score", "grad/norm/layer.0", "épsilon", "損失",
                     "val/ΔAUC", "a.b", "Loss", "loss/"]),
    st.lists(_WORD, min_size=1, max_size=3).map("/".join),
).filter(lambda name: not name.startswith("_"))
values = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**18), max_value=10**18),
    st.text(max_size=30),
    st.booleans(),
    st.none(),
)
history_rows = st.lists(st.dictionaries(metric_names, values, min_size=1, max_size=5), min_size=1, max_size=8)


def _stored(value: Any) -> tuple[float | None, str | None]:
    """The ``(value_num, value_text)`` a logged value must be stored as (see sprintboard.ingest.parsed)."""
    if isinstance(value, bool) or value is None:
        return None, json.dumps(value)
    if isinstance(value, int | float):
        return float(value), None
    return None, value


def _key(cell: tuple[float | None, str | None]) -> tuple:
    """A stored pair in a form that compares NaN equal to NaN."""
    num, text = cell
    return ("nan" if num is not None and math.isnan(num) else num), text


@pytest.fixture(scope="module")
def history_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("history-store") / "store.duckdb"


@settings(max_examples=30, **COMMON)
@given(rows=history_rows)
@example(rows=[{"loss": math.nan, "val/loss": math.inf, "train/acc": -math.inf, "note": "NaN", "flag": True,
                "損失/ステップ": 3, "nothing": None, "zero": -0.0, "tiny": 5e-324}])
def test_a_log_of_random_history_rows_loads_exactly_those_points(workdir, history_store, rows):
    run_id = f"prop{next(_names)}"
    path = _fresh(workdir, ".wandb")
    path.write_bytes(log_bytes(run_id, rows))
    with no_hang():
        report = ingest_paths(history_store, [path])
    [outcome] = report.outcomes
    assert outcome.status == "loaded", outcome.error
    assert outcome.warnings == []
    with read_connection(history_store) as con:
        stored = con.execute("SELECT step, key, value_num, value_text FROM history WHERE run_id = ?",
                             [run_id]).fetchall()
    expected = {(step, key): _key(_stored(value)) for step, row in enumerate(rows) for key, value in row.items()}
    assert len(stored) == len(expected)
    assert {(step, key): _key((num, text)) for step, key, num, text in stored} == expected


# -- (c) a runs table written by the csv module


_FIXED = ["Name", "State", "Created", "Runtime", "ID"]
_FIXED_NAMES = frozenset(_FIXED) | {"Notes", "User", "Tags", "Sweep", "End Time", "Updated"}
_column_names = st.sampled_from(["lr", "lr.a", "acc", "acc.b", "val/loss"]) | st.text(
    st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), min_size=1, max_size=10,
).filter(lambda name: name.strip() and name not in _FIXED_NAMES and not name.startswith("_wandb"))
numbers = st.one_of(st.integers(min_value=-(10**30), max_value=10**30), st.floats(allow_nan=True, allow_infinity=True))
cells = st.one_of(numbers, st.text(max_size=20), st.just(""),
                  st.dictionaries(st.sampled_from(["a", "b", "lr"]), st.integers(-5, 5), max_size=2).map(json.dumps))


@st.composite
def runs_tables(draw: st.DrawFn) -> tuple[list[str], list[list[Any]]]:
    """A header (W&B's fixed columns, then unique data columns) and rows of cells: numbers, text, empty cells."""
    data = draw(st.lists(_column_names, min_size=1, max_size=6, unique=True))
    count = draw(st.integers(min_value=1, max_value=4))
    rows = []
    for index in range(count):
        fixed = [draw(st.text(max_size=12)), draw(st.sampled_from(["finished", "failed", "crashed", ""])),
                 draw(st.sampled_from(["2026-01-05T10:00:00.000Z", "2025-12-31T23:59:59Z", ""])),
                 draw(st.one_of(st.just(""), st.integers(0, 10**6), st.floats(0, 1e6))), f"r{index}"]
        rows.append(fixed + [draw(cells) for _ in data])
    return _FIXED + data, rows


def _csv_bytes(header: list[str], rows: list[list[Any]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([header, *rows])  # numbers become str(value): repr for floats ('nan', 'inf', '1e-05')
    return out.getvalue().encode("utf-8")


def _is_number(cell: Any) -> bool:
    return isinstance(cell, int | float) and not isinstance(cell, bool)


@pytest.fixture(scope="module")
def runs_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("runs-store") / "store.duckdb"


@settings(max_examples=30, **COMMON)
@given(table=runs_tables())
@example(table=(_FIXED + ["lr", "acc"], [["a", "finished", "2026-01-05T10:00:00.000Z", 12, "r0", 1e-05, math.nan],
                                         ["b", "", "", "", "r1", 10**30, -math.inf]]))
def test_a_runs_table_from_the_csv_module_loads_every_number_as_written(workdir, runs_store, table):
    header, rows = table
    path = _fresh(workdir, ".csv")
    path.write_bytes(_csv_bytes(header, rows))
    with no_hang():
        [outcome] = ingest_paths(runs_store, [path]).outcomes
    if outcome.status == "rejected":
        line = f"{outcome.path}: {outcome.error}"
        assert outcome.error and "\n" not in line and "\r" not in line, line
        assert not re.match(r"^[A-Z][A-Za-z]*(Error|Exception)\b", outcome.error), outcome.error
        return
    assert outcome.status == "loaded"
    with read_connection(runs_store) as con:
        stored = con.execute("""SELECT run_id, key, value_num FROM run_config WHERE run_id IN (SELECT run_id FROM runs
                                WHERE source_path = ?) UNION ALL
                                SELECT run_id, key, value_num FROM run_summary WHERE run_id IN (SELECT run_id FROM runs
                                WHERE source_path = ?)""", [str(path), str(path)]).fetchall()
    assert_numbers_stored(header, rows, stored)


def assert_numbers_stored(header: list[str], rows: list[list[Any]], stored: list[tuple]) -> None:
    """Every number written to a data column is stored under that column's name, in the config or the summary (a
    key may be in both: a dict cell ``{"a": 1}`` of column ``lr`` is key ``lr.a`` too)."""
    values: dict[tuple[str, str], set] = {}
    for run_id, key, num in stored:
        values.setdefault((run_id, key), set()).add("nan" if num is not None and math.isnan(num) else num)
    for row in rows:
        for column, cell in zip(header[len(_FIXED):], row[len(_FIXED):], strict=True):
            if _is_number(cell):
                written = "nan" if math.isnan(cell) else float(cell)
                assert written in values.get((row[4], column), set()), (row[4], column, cell, values)


def test_a_dict_cell_never_replaces_a_number_written_in_another_column(workdir, runs_store):
    # The counterexample the property above finds when a table has both columns, pinned.
    header = [*_FIXED, "lr.a", "lr", "b"]
    rows = [["x", "finished", "", "", "r0", 5, json.dumps({"a": 3}), 1]]
    path = _fresh(workdir, ".csv")
    path.write_bytes(_csv_bytes(header, rows))
    [outcome] = ingest_paths(runs_store, [path]).outcomes
    assert outcome.status == "loaded", outcome.error
    with read_connection(runs_store) as con:
        stored = con.execute("""SELECT run_id, key, value_num FROM run_summary WHERE run_id = 'r0' UNION ALL
                                SELECT run_id, key, value_num FROM run_config WHERE run_id = 'r0'""").fetchall()
    assert_numbers_stored(header, rows, stored)
    assert ("the dict in column 'lr' gives the key 'lr.a', which is a column of its own: the value from column "
            "'lr.a' is kept") in outcome.warnings


# -- (d) a valid log cut anywhere


_CUT_LOG, _CUT_CHUNKS = maker.base_log()
_CUT_STEPS = maker.base_steps()  # record index to step


@pytest.fixture(scope="module")
def full_run(workdir: Path) -> ParsedRun:
    path = workdir / "run-badlog.wandb"
    path.write_bytes(_CUT_LOG)
    run = parse_run_file(path)
    assert run.warnings == [] and len(run.history) == 3 * maker.LOG_ROWS
    return run


def _rows_complete_before(offset: int) -> int:
    """How many history rows have every chunk of their record inside the first ``offset`` bytes."""
    ends: dict[int, int] = {}
    for chunk in _CUT_CHUNKS:
        ends[chunk.record] = chunk.offset + maker.CHUNK.size + chunk.length
    return sum(1 for record in _CUT_STEPS if ends[record] <= offset)


def _lanes(run: ParsedRun, count: int | None = None) -> list[tuple]:
    history = run.history
    rows = zip(history.step, history.key, history.value_num, history.value_text, history.timestamp, strict=True)
    lanes = [(step, key, _key((num, text)), stamp) for step, key, num, text, stamp in rows]
    return lanes if count is None else lanes[:count]


@settings(max_examples=120, **COMMON)
@given(offset=st.integers(min_value=0, max_value=len(_CUT_LOG)))
@example(offset=0)
@example(offset=6)
@example(offset=7)
@example(offset=maker.BLOCK)
@example(offset=len(_CUT_LOG) - 1)
@example(offset=len(_CUT_LOG))
def test_a_log_cut_at_any_byte_loads_the_rows_complete_before_the_cut(workdir, full_run, offset):
    folder = _fresh(workdir, "")
    folder.mkdir()
    path = folder / "run-badlog.wandb"
    path.write_bytes(_CUT_LOG[:offset])
    with no_hang():
        if offset < 7:
            with pytest.raises(WandbLogError):
                parse_run_file(path)
            return
        run = parse_run_file(path)
    complete = _rows_complete_before(offset)
    assert _lanes(run) == _lanes(full_run, 3 * complete)
    assert run.run_id == "badlog"
    assert len(run.warnings) <= 1 and all(w.startswith("torn tail at byte ") for w in run.warnings)


# -- (e) a history dump in JSON


beyond_float = st.integers(min_value=10**309, max_value=10**400) | st.integers(min_value=-(10**400),
                                                                              max_value=-(10**309))
dump_rows = st.lists(st.dictionaries(metric_names, values | beyond_float, min_size=1, max_size=5), min_size=1,
                     max_size=8)


def _too_large(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**309


def _stored_from_dump(value: Any) -> tuple[float | None, str | None]:
    """As :func:`_stored`, but a whole number no float holds is its digits."""
    return (None, str(value)) if _too_large(value) else _stored(value)


@settings(max_examples=30, **COMMON)
@given(rows=dump_rows)
@example(rows=[{"count": 10**400, "loss": 0.5, "neg": -(10**309)}, {"count": 3, "loss": math.nan}])
def test_a_json_history_dump_of_random_records_loads_exactly_those_points(workdir, history_store, rows):
    path = _fresh(workdir, ".json")
    path.write_text(json.dumps([{"_step": step, **row} for step, row in enumerate(rows)]))
    with no_hang():
        [outcome] = ingest_paths(history_store, [path]).outcomes
    assert outcome.status == "loaded", outcome.error
    large = any(_too_large(value) for row in rows for value in row.values())
    assert len(outcome.warnings) == large and all("kept as its digits" in w for w in outcome.warnings)
    with read_connection(history_store) as con:
        stored = con.execute("SELECT step, key, value_num, value_text FROM history WHERE run_id = ?",
                             [path.stem]).fetchall()
    # a JSON null is a key not logged at that step (pandas writes a missing value so)
    expected = {(step, key): _key(_stored_from_dump(value)) for step, row in enumerate(rows)
                for key, value in row.items() if value is not None}
    assert {(step, key): _key((num, text)) for step, key, num, text in stored} == expected
    assert len(stored) == len(expected)


# -- (f) a CSV file read a line at a time


csv_texts = st.lists(st.sampled_from(["a", "é", " ", ",", '"', "\n", "\r", "\r\n"]), max_size=60).map("".join)


def _rows_of_the_whole_text(text: str) -> list[tuple[int, list[str]] | str]:
    """What :meth:`CsvFile.rows` must give for a file of ``"Name,Notes\n" + text``, as ``csv.reader`` reads the whole
    text: ``(line, cells)`` per row, then the refusal's reason when there is one."""
    reader = csv.reader(io.StringIO("Name,Notes\n" + text, newline=""), strict=True)
    rows: list[tuple[int, list[str]] | str] = []
    try:
        for record in itertools.islice(reader, 1, None):
            if not record:
                continue
            if len(record) != 2:
                return [*rows, f"line {reader.line_num} has {len(record)} values where the header has 2 columns"]
            rows.append((reader.line_num, record))
    except csv.Error as error:
        rows.append(f"is not valid CSV at line {reader.line_num}: {error}")
    return rows


@settings(max_examples=300, **COMMON)
@given(text=csv_texts, bom=st.booleans())
@example(text='a,"one\rtwo"\rb,c\r\n\r\nd,"e\r\nf"', bom=True)
@example(text='a,"unclosed\r\n', bom=False)
def test_a_csv_read_a_line_at_a_time_gives_the_rows_of_the_whole_text(workdir, text, bom):
    path = _fresh(workdir, ".csv")
    path.write_bytes(("\ufeff" if bom else "").encode() + ("Name,Notes\n" + text).encode())
    table = read_csv(path)
    assert table.header == ["Name", "Notes"]
    rows: list[tuple[int, list[str]] | str] = []
    try:
        rows.extend(table.rows())
    except InputError as error:
        rows.append(error.problem)
    assert rows == _rows_of_the_whole_text(text)
