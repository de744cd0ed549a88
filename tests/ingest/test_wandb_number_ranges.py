"""Numbers in a ``.wandb`` log beyond what the store holds: steps outside 64 bits (the row is skipped with a warning),
integers too large for a float (kept as their digits), times beyond the calendar (stored without a time, or ignored
with a warning). None ends the load with an internal error."""

from __future__ import annotations

import json
import math
from pathlib import Path

from wandb.proto import wandb_internal_pb2 as pb

from sprintboard.ingest.loader import load_run
from sprintboard.ingest.parsed import ParsedRun
from sprintboard.ingest.wandb_log import encode_log
from sprintboard.ingest.wandb_run_file import parse_run_file, parse_run_folder
from tests.ingest.log_records import record, summary

HUGE = str(10**400)


def _run(start: int = 1_700_000_000):
    def build(run: pb.RunRecord) -> None:
        run.run_id, run.project = "big1", "p"
        run.start_time.seconds = start

    return build


def _row(step: str | None, **items: str):
    """A history row as wandb 0.17+ writes it; ``step`` is the ``_step`` text (``None``: no ``_step`` item)."""
    def build(history: pb.HistoryRecord) -> None:
        meta = {"_timestamp": "1700000000.5", "_runtime": "1.5"} | ({"_step": step} if step is not None else {})
        for key, raw in (items | meta).items():
            history.item.add(nested_key=key.split("|"), value_json=raw)

    return build


def _parse(tmp_path: Path, records: list[bytes]) -> ParsedRun:
    path = tmp_path / "run-big1.wandb"
    path.write_bytes(encode_log([record(1, run=_run()), *records]))
    return parse_run_file(path)


def _points(run: ParsedRun) -> list[tuple[int, str, float | None, str | None]]:
    history = run.history
    return list(zip(history.step, history.key, history.value_num, history.value_text, strict=True))


def test_a_row_whose_step_is_outside_64_bits_is_skipped_with_a_warning(tmp_path):
    run = _parse(tmp_path, [record(2, history=_row("0", loss="1")),
                            record(3, history=_row(str(2**63), loss="2")),
                            record(4, history=_row(str(-(2**63) - 1), loss="3")),
                            record(5, history=_row("1e19", loss="4")),
                            record(6, history=_row(str(2**63 - 1), loss="5")),
                            record(7, history=_row(str(-(2**63)), loss="6")),
                            record(8, history=_row(None, loss="7"))])  # no _step: one past the last row kept
    assert _points(run) == [(0, "loss", 1.0, None), (2**63 - 1, "loss", 5.0, None), (-(2**63), "loss", 6.0, None),
                            (-(2**63) + 1, "loss", 7.0, None)]
    assert run.warnings == [
        f"history row at step {2**63} skipped: the step is outside the signed 64-bit range of steps",
        f"history row at step {-(2**63) - 1} skipped: the step is outside the signed 64-bit range of steps",
        f"history row at step {10**19} skipped: the step is outside the signed 64-bit range of steps",
    ]


def test_a_row_read_item_by_item_with_a_step_outside_64_bits_is_skipped_whole(tmp_path):
    # A nested key sends the row item by item; its parts must not be left behind in the next row.
    run = _parse(tmp_path, [record(2, history=_row(str(2**64), **{"val|auc": "0.5", "val|f1": "{bad"})),
                            record(3, history=_row("3", loss="1"))])
    assert _points(run) == [(3, "loss", 1.0, None)]
    assert run.warnings == [f"history row at step {2**64} skipped: the step is outside the signed 64-bit range of "
                            "steps"]  # and no warning about the value of the row that was skipped


def test_many_rows_beyond_64_bits_are_counted_after_a_few_warnings(tmp_path):
    rows = [record(2 + i, history=_row(str(2**63 + i), loss="1")) for i in range(12)]
    run = _parse(tmp_path, [*rows, record(99, history=_row("5", loss="2"))])
    assert _points(run) == [(5, "loss", 2.0, None)]
    assert len(run.warnings) == 6
    assert run.warnings[-1] == "12 history rows in all were skipped for a step outside the signed 64-bit range"


def test_an_integer_too_large_for_a_float_is_kept_as_its_digits(tmp_path):
    # Bulk and record by record alike (see test_wandb_bulk for the two compared); 1e400 is a float to JSON, and
    # infinite, and -0 stays a number.
    run = _parse(tmp_path, [record(2 + step, history=_row(str(step), loss="0.5", big=HUGE, neg="-" + HUGE,
                                                          inf="1e400", zero="-0")) for step in range(3)])
    big = [(key, num, text) for _, key, num, text in _points(run) if key != "loss"]
    assert big == [("big", None, HUGE), ("neg", None, "-" + HUGE), ("inf", math.inf, None), ("zero", -0.0, None)] * 3


def test_system_metrics_and_nested_values_too_large_for_a_float_are_kept_as_digits(tmp_path):
    def stats(message: pb.StatsRecord) -> None:
        message.timestamp.seconds = 1_700_000_001
        message.item.add(key="cpu", value_json=HUGE)

    run = _parse(tmp_path, [record(2, history=_row("0", **{"val|count": HUGE})), record(3, stats=stats)])
    assert [(key, num, text) for _, key, num, text in _points(run)] == [("val.count", None, HUGE),
                                                                        ("system/cpu", None, HUGE)]


def test_summary_and_config_integers_too_large_for_a_float_load_as_their_digits(tmp_path, con):
    def config(message: pb.ConfigRecord) -> None:
        message.update.add(key="seed", value_json=HUGE)
        message.update.add(key="small", value_json=str(2**64))

    run = _parse(tmp_path, [record(2, config=config), record(3, summary=summary(count=HUGE, ok="3"))])
    assert run.config == {"seed": 10**400, "small": 2**64}
    assert run.summary == {"count": 10**400, "ok": 3}
    load_run(con, run, "run-big1.wandb")
    assert con.execute("SELECT key, value_json, value_num, value_text FROM run_summary ORDER BY key").fetchall() == [
        ("count", HUGE, None, HUGE), ("ok", "3", 3.0, None)]
    assert con.execute("SELECT value_num FROM run_config WHERE key = 'small'").fetchone() == (2.0**64,)


def test_side_files_with_integers_too_large_for_a_float_load_as_their_digits(tmp_path, con):
    folder = tmp_path / "run-20240101_000000-big1"
    (folder / "files").mkdir(parents=True)
    (folder / "run-big1.wandb").write_bytes(encode_log([record(1, run=_run())]))
    (folder / "files" / "wandb-summary.json").write_text(json.dumps({"count": 10**400, "nested": {"n": -(10**400)}}))
    (folder / "files" / "config.yaml").write_text(f"seed:\n  value: {HUGE}\n")
    run = parse_run_folder(folder)
    assert run.summary == {"count": 10**400, "nested.n": -(10**400)} and run.config == {"seed": 10**400}
    load_run(con, run, "run-20240101_000000-big1")
    assert con.execute("SELECT key, value_num, value_text FROM run_summary ORDER BY key").fetchall() == [
        ("count", None, HUGE), ("nested.n", None, "-" + HUGE)]


def test_times_beyond_the_calendar_load_without_a_time(tmp_path, con):
    def stats(message: pb.StatsRecord) -> None:
        message.timestamp.seconds = 2**62
        message.item.add(key="cpu", value_json="5")

    run = _parse(tmp_path, [record(2, history=_row("0", loss="1")),
                            record(3, history=lambda h: [h.item.add(nested_key=[k], value_json=v) for k, v in
                                                          {"loss": "2", "_step": "1", "_timestamp": "1e300"}.items()]),
                            record(4, stats=stats)])
    load_run(con, run, "run-big1.wandb")
    stored = con.execute("SELECT step, key, value_num, timestamp IS NULL FROM history ORDER BY step, key").fetchall()
    assert stored == [(0, "loss", 1.0, False), (1, "loss", 2.0, True), (1, "system/cpu", 5.0, True)]


def test_a_start_time_beyond_the_calendar_is_ignored_with_a_warning(tmp_path):
    path = tmp_path / "run-big1.wandb"
    path.write_bytes(encode_log([record(1, run=_run(start=2**62)), record(2, history=_row("0", loss="1"))]))
    run = parse_run_file(path)
    assert run.created_at is None and _points(run) == [(0, "loss", 1.0, None)]
    assert run.warnings == [f"the run record's start time, {2**62} seconds since 1970, is out of range: ignored"]
