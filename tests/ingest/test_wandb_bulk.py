"""History and summary records read in batches -- the bulk path of ``parse_run_file`` -- against the same records
read one by one: the same run, down to the order of keys, points and warnings, for a log written by wandb and for
hand-made logs that make the bulk path step aside."""

from __future__ import annotations

import dataclasses
import math
import pickle
import random
import struct
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from wandb.proto import wandb_internal_pb2 as pb

from sprintboard.ingest import wandb_items, wandb_run_file
from sprintboard.ingest.parsed import ParsedRun
from sprintboard.ingest.wandb_log import encode_log
from sprintboard.ingest.wandb_numbers import CHUNK, numbers
from sprintboard.ingest.wandb_record_kinds import Records
from sprintboard.ingest.wandb_record_views import RECORD_END, merge_batch, record_ends
from sprintboard.ingest.wandb_run_file import parse_run_file
from tests.ingest.log_records import record, summary

# --- helpers


def _state(run: ParsedRun) -> bytes:
    """Everything a parsed run holds, in order (dict order, list order, warnings), as bytes to compare."""
    fields = {field.name: getattr(run, field.name) for field in dataclasses.fields(run)}
    fields["history"] = run.history.as_dict()
    fields["summary"], fields["config"] = list(run.summary.items()), list(run.config.items())
    return pickle.dumps(fields)


def _record_by_record(path: Path) -> ParsedRun:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(wandb_run_file, "batch_rows", lambda *batch: None)
        patch.setattr(wandb_run_file, "summary_updates", lambda *batch: None)
        return parse_run_file(path)


@pytest.fixture
def bulk(monkeypatch: pytest.MonkeyPatch) -> Counter:
    """Counts how often each bulk reader took a batch (``("history", True)``) or stepped aside (``False``), and how
    many history and summary records the bulk path left to be read one by one (``"one by one"``)."""
    calls: Counter = Counter()
    spies = {}
    for name, function in (("history", "batch_rows"), ("summary", "summary_updates")):
        original = getattr(wandb_run_file, function)

        def spy(*args, _original=original, _name=name):
            read = _original(*args)
            calls[_name, read is not None] += 1
            return read

        monkeypatch.setattr(wandb_run_file, function, spy)
        spies[name] = spy
    one_by_one = wandb_run_file._RunBuilder._add_record

    def counted(builder, payload):
        calls["one by one"] += wandb_run_file.batch_rows is spies["history"]  # not in _record_by_record
        return one_by_one(builder, payload)

    monkeypatch.setattr(wandb_run_file._RunBuilder, "_add_record", counted)
    return calls


def _parse_both_ways(path: Path) -> ParsedRun:
    """The run as the bulk path reads it, after checking that reading record by record gives the same."""
    run = parse_run_file(path)
    assert _state(run) == _state(_record_by_record(path))
    return run


def _run(run: pb.RunRecord) -> None:
    run.run_id, run.project = "bulk1", "p"
    run.start_time.seconds = 1_700_000_000


def _row(step: int, meta: tuple[str, ...] = ("_step", "_timestamp", "_runtime"), **items: str):
    """A history row as wandb 0.17+ writes it: one ``nested_key`` part per item, meta keys included."""
    values = {"_step": str(step), "_timestamp": repr(1_700_000_000.5 + step), "_runtime": repr(step / 4)}

    def build(history: pb.HistoryRecord) -> None:
        for key, raw in [*items.items(), *((name, values[name]) for name in meta)]:
            history.item.add(nested_key=key.split("|"), value_json=raw)
        history.step.num = step

    return build


def _runtime(seconds: int, plain: tuple[str, ...] = ("_runtime",)):
    """wandb's runtime summary record: ``_wandb.runtime`` and (0.31) the plain ``_runtime``, of the same value."""
    def build(summary: pb.SummaryRecord) -> None:
        summary.update.add(nested_key=["_wandb", "runtime"], value_json=str(seconds))
        for key in plain:
            summary.update.add(key=key, value_json=str(seconds))

    return build


def _write(tmp_path: Path, records: list[bytes], name: str = "run-bulk1.wandb") -> Path:
    path = tmp_path / name
    path.write_bytes(encode_log(records))
    return path


def _steps(count: int, first: int = 0, num: int = 10) -> list[bytes]:
    """``count`` steps the way wandb 0.31 writes them: runtime record, summary row, history row."""
    records = []
    for step in range(first, first + count):
        loss = repr(1 / (step + 1))
        records += [
            record(num + 3 * step, summary=_runtime(step // 100)),
            record(num + 3 * step + 1, summary=summary(loss=loss, _step=str(step), _runtime=repr(step / 4))),
            record(num + 3 * step + 2, history=_row(step, loss=loss, acc=repr(step % 7 / 7))),
        ]
    return records


# --- a log written by wandb


@pytest.fixture(scope="module")
def long_wandb_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An offline run long enough for several batches, with what makes the bulk path step aside now and then."""
    import wandb

    root = tmp_path_factory.mktemp("wandb-bulk")
    with pytest.MonkeyPatch.context() as env:
        for name, value in {"WANDB_MODE": "offline", "WANDB_SILENT": "true", "WANDB_DIR": root,
                            "WANDB_CACHE_DIR": root / "cache", "WANDB_CONFIG_DIR": root / "config",
                            "WANDB_DATA_DIR": root / "data", "WANDB_ARTIFACT_DIR": root / "artifacts"}.items():
            env.setenv(name, str(value))
        settings = wandb.Settings(console="off", silent=True)
        run = wandb.init(project="sprintboard-tests", dir=str(root), settings=settings)
        for step in range(2000):
            row = {"loss": 1 / (step + 1), "train/acc": step % 13 / 13, "lr": 3e-4}
            if step == 700:
                row["val"] = {"auc": 0.75}  # a nested key: this batch is read record by record
            if step == 1500:
                row.update(note="text", bad=math.nan, big=math.inf)
            run.log(row)
        run.summary["best"] = 0.99
        run.summary["gone"] = 1
        del run.summary["gone"]
        run.log({"preds": wandb.Table(columns=["x"], data=[[1], [2]])})
        run.finish()
        wandb.teardown()
    return next(root.glob("wandb/offline-run-*/run-*.wandb"))


@pytest.mark.slow
def test_a_long_wandb_log_reads_the_same_in_bulk(long_wandb_log, bulk):
    run = _parse_both_ways(long_wandb_log)
    # The records near the nested key and the table were read one by one, a few dozen each; the rest in bulk.
    assert bulk["history", True] and bulk["history", False] and bulk["summary", True] == bulk["history", True]
    assert 0 < bulk["one by one"] <= 2 * wandb_run_file._SMALLEST
    assert run.summary["loss"] == 1 / 2000 and run.summary["best"] == 0.99 and "gone" not in run.summary
    assert run.summary["val.auc"] == 0.75 and run.summary["preds"]["_type"] == "table-file"
    assert run.history.key.count("loss") == 2000 and run.history.key.count("val.auc") == 1
    assert run.warnings == []


# --- the summary


def test_runtime_records_and_rows_the_later_writer_wins(tmp_path, bulk):
    # Rows write _runtime as a float, runtime records as whole seconds; whichever comes last in the log wins.
    steps = _steps(250)
    ends_with_row = _parse_both_ways(_write(tmp_path, [record(1, run=_run), *steps], "run-a.wandb"))
    assert ends_with_row.summary["_runtime"] == 249 / 4
    last = record(2000, summary=_runtime(7))
    ends_with_runtime = _parse_both_ways(_write(tmp_path, [record(1, run=_run), *steps, last], "run-b.wandb"))
    assert ends_with_runtime.summary["_runtime"] == 7
    assert list(ends_with_runtime.summary)[0] == "_runtime"  # added by the first runtime record, before any row
    assert bulk["summary", True] and not bulk["summary", False]


def test_runtime_records_with_other_keys_are_read_one_by_one(tmp_path, bulk):
    records = [record(1, run=_run), *_steps(50)]
    records.insert(40, record(500, summary=_runtime(3, plain=("_runtime", "extra"))))
    run = _parse_both_ways(_write(tmp_path, records))
    assert run.summary["extra"] == 3
    assert bulk["summary", False] and 0 < bulk["one by one"] <= wandb_run_file._SMALLEST


def test_summary_removals_among_bulk_updates(tmp_path, bulk):
    records = [record(1, run=_run), *_steps(30)]
    records += [record(200, summary=summary(acc="0.5", kept="1")), *_steps(30, first=30, num=300),
                record(400, summary=summary(remove=("acc",))), *_steps(30, first=60, num=500)]
    run = _parse_both_ways(_write(tmp_path, records))
    assert "acc" not in run.summary and run.summary["kept"] == 1 and run.summary["loss"] == 1 / 90
    assert bulk["summary", False]


def test_nested_summary_keys_and_plain_keys_that_replace_them(tmp_path):
    records = [record(1, run=_run), *_steps(20),
               record(100, summary=summary(**{"val|auc": "0.7", "val|loss": "0.3"})), *_steps(20, first=20, num=200),
               record(300, summary=summary(val="5")), *_steps(20, first=40, num=400)]
    run = _parse_both_ways(_write(tmp_path, records))
    assert run.summary["val"] == 5 and "val.auc" not in run.summary


# --- history


def test_history_batches_with_unusual_rows_are_read_one_by_one(tmp_path, bulk):
    records = [record(1, run=_run), *_steps(40)]
    records.insert(30, record(100, history=_row(1000, **{"val|auc": "0.5"})))  # a nested key
    records.insert(60, record(101, history=_row(1001, meta=("_step",), loss="3")))  # no _timestamp, _runtime
    run = _parse_both_ways(_write(tmp_path, records))
    assert [run.history.step[i] for i, key in enumerate(run.history.key) if key == "val.auc"] == [1000]
    assert bulk["history", False]


def test_rows_without_meta_keys_or_with_other_internal_keys(tmp_path):
    records = [record(1, run=_run), record(2, history=_row(0, meta=(), loss="1")),
               record(3, history=_row(1, meta=("_step",), loss="2")),
               record(4, history=_row(2, loss="3", _custom="9")),
               record(5, history=_row(3, loss="4", **{"_step": "3.0"}))]
    run = _parse_both_ways(_write(tmp_path, records))
    assert run.history.key == ["loss"] * 4 and run.history.step == [0, 1, 2, 3]


def test_stats_between_batches_take_the_step_of_the_latest_row(tmp_path):
    records = [record(1, run=_run)]
    for block in range(4):
        records += _steps(700, first=700 * block, num=10_000 * (block + 1))

        def stats(s: pb.StatsRecord, block=block) -> None:
            s.timestamp.seconds = 1_700_000_100 + block
            s.item.add(key="cpu", value_json=str(block))

        records.append(record(10_000 * (block + 1) + 9_999, stats=stats))
    run = _parse_both_ways(_write(tmp_path, records))
    cpu = [(run.history.step[i], run.history.value_num[i]) for i, key in enumerate(run.history.key)
           if key == "system/cpu"]
    assert cpu == [(699, 0.0), (1399, 1.0), (2099, 2.0), (2799, 3.0)]


def test_plain_keys_of_wandb_0_16_go_in_bulk_too(tmp_path, bulk):
    def row(step: int):
        def build(history: pb.HistoryRecord) -> None:
            for key, raw in {"loss": "0.5", "val": '{"auc": 0.9}', "_step": str(step), "_runtime": "1.5",
                             "_timestamp": "1700000000.25"}.items():
                history.item.add(key=key, value_json=raw)

        return build

    run = _parse_both_ways(_write(tmp_path, [record(1, run=_run)] + [record(2 + step, history=row(step))
                                                                       for step in range(5)]))
    assert run.history.key == ["loss", "val.auc"] * 5
    assert bulk["history", True]


def test_invalid_records_in_a_batch_keep_the_order_of_warnings(tmp_path):
    not_history, not_summary = b"\x12\xff\x01abc", b"\x1a\x05\x0a\x03\x12\x01"
    nested_bad_json = record(50, history=_row(9, **{"val|auc": "1_0"}))
    records = [record(1, run=_run), *_steps(5), not_summary, nested_bad_json, not_history, *_steps(5, first=5)]
    run = _parse_both_ways(_write(tmp_path, records))
    assert run.warnings == [  # the summary record first, then the two history records, as in the file
        "a record of 6 bytes is not a valid W&B Record: skipped",
        "value '1_0' is not valid JSON: kept as text",
        "a record of 6 bytes is not a valid W&B Record: skipped",
    ]


def test_a_record_of_two_kinds_is_of_the_last_one_as_for_wandb(tmp_path, bulk):
    # Its first bytes say summary, but wandb's Record keeps the last of its oneof fields: this is a history row.
    two_kinds = record(summary=summary(loss="9")) + record(history=_row(1000, loss="8"))
    records = [record(1, run=_run), *_steps(10), two_kinds, *_steps(10, first=10, num=100)]
    run = _parse_both_ways(_write(tmp_path, records))
    assert [step for step, key in zip(run.history.step, run.history.key, strict=True) if key == "loss"] == [
        *range(10), 1000, *range(10, 20)]
    assert run.summary["loss"] == 1 / 20 and bulk["summary", False]  # so its batch went record by record


def test_a_torn_tail_reports_after_the_batched_records_before_it(tmp_path):
    records = [record(1, run=_run), *_steps(20), b"\x12\xff\x01abc", *_steps(20, first=20, num=100)]
    data = encode_log(records)
    path = tmp_path / "run-bulk1.wandb"
    path.write_bytes(data[:-10])
    run = _parse_both_ways(path)
    assert run.warnings[0] == "a record of 6 bytes is not a valid W&B Record: skipped"
    assert run.warnings[1].startswith("torn tail at byte ")


# --- random logs


# Keys and values that look like the bytes around them to a reader of the raw records: lengths 10 and 18 (the tag
# bytes of key and nested_key), tag bytes and a whole item's first bytes inside the text, strings of 127 and 128
# bytes (the last length of one byte, the first of two), text that is not ASCII.
_KEYS = ["loss", "_timestamp", "val/accuracy_top_5", "a\nb", "x\x12y", "損失", "k" * 127, "k" * 128, "", "\n%\x12\x0e"]
_VALUES = ["0.5", "-1e-05", "NaN", "Infinity", "12345678901234567890", str(10**400), '"text"', "1_0", "{oops",
           '"\n%\x12\x0etrain/metric_0\x82\x01\x120.1"', "7" * 127, "7" * 128, '"é"', "null", "true", "[1, 2]"]


def _random_item(rng: random.Random, item: pb.HistoryItem | pb.SummaryItem, plain: bool) -> None:
    key = rng.choice(_KEYS)
    if plain:
        item.key = key
    else:
        item.nested_key.append(key)
        if rng.random() < 0.02:
            item.nested_key.append("part")  # a key of two parts
    if rng.random() < 0.02 and isinstance(item, pb.HistoryItem):
        item.number = 2.5  # a typed value, without value_json
    else:
        item.value_json = rng.choice(_VALUES)


def _random_record(rng: random.Random, num: int, step: int, plain: bool) -> bytes:
    message = pb.Record(num=num if rng.random() < 0.95 else 0)
    roll = rng.random()
    if roll < 0.45:
        history = message.history
        for _ in range(rng.randrange(4)):
            _random_item(rng, history.item.add(), plain)
        for name, raw in (("_step", str(step)), ("_timestamp", repr(1.7e9 + step)), ("_runtime", repr(step / 3))):
            if rng.random() < 0.98:
                item = history.item.add(value_json=raw)
                if plain:
                    item.key = name
                else:
                    item.nested_key.append(name)
        if rng.random() < 0.8:
            history.step.num = step if rng.random() < 0.9 else 0  # step 0: an empty step field
        if rng.random() < 0.01:
            history._info.stream_id = "s"  # a field the raw reader does not take
    elif roll < 0.9:
        updates = message.summary
        for _ in range(rng.randrange(1, 4)):
            _random_item(rng, updates.update.add(), plain)
        if rng.random() < 0.02:
            updates.remove.add(nested_key=[rng.choice(_KEYS)])
    elif roll < 0.95:
        message.summary.update.add(nested_key=["_wandb", "runtime"], value_json=str(step // 10))
        message.summary.update.add(key="_runtime", value_json=str(step // 10))
    else:
        message.stats.item.add(key="cpu", value_json=rng.choice(_VALUES))
    return message.SerializeToString()


@pytest.mark.parametrize("seed", range(12))
def test_random_logs_read_the_same_in_bulk(tmp_path, monkeypatch, seed):
    rng = random.Random(seed)
    plain = seed % 4 == 3  # wandb 0.16's plain keys
    monkeypatch.setattr(wandb_run_file, "_BATCH", rng.choice([16, 100, 8192]))
    monkeypatch.setattr(wandb_run_file, "_SMALLEST", rng.choice([1, 8]))
    records = [record(1, run=_run)]
    # Mostly well-formed stretches, as wandb writes them, so that the bulk readers take some batches.
    for block in range(6):
        if rng.random() < 0.5:
            records += _steps(rng.randrange(20, 200), first=1000 * block, num=100_000 * (block + 1))
        records += [_random_record(rng, 10_000 * (block + 1) + index, 1000 * block + 500 + index, plain)
                    for index in range(rng.randrange(1, 40))]
    _parse_both_ways(_write(tmp_path, records))


@pytest.mark.parametrize(("index", "text"), [(32, b"0."), (33, b"0."), (33, b"_step"), (31, b"_runtime")])
def test_text_that_is_not_utf8_is_refused_as_the_parser_refuses_it(tmp_path, bulk, index, text):
    # One byte of a value or key of a summary row (32), a history row (33) or a runtime record (31) made invalid
    # UTF-8: protobuf refuses the record, so the bulk readers must not take it either.
    records = [record(1, run=_run), *_steps(60)]
    assert text in records[index]
    records[index] = records[index].replace(text, b"\xff" + text[1:], 1)
    run = _parse_both_ways(_write(tmp_path, records))
    assert run.warnings == [f"a record of {len(records[index])} bytes is not a valid W&B Record: skipped"]
    assert bulk["history", True]


def _items_state(items: wandb_items.Items | None) -> tuple | None:
    if items is None:
        return None
    keys = [items.names[code] for code in items.codes]
    return keys, items.texts.take(np.arange(len(keys))).to_pylist(), items.rows.tolist(), items.nested


@pytest.mark.parametrize("kind", ["history", "summary"])
def test_items_read_from_the_bytes_are_those_of_the_parsed_records(kind):
    # Whenever the byte reader takes a batch, the protobuf parser reads the same items from it; it takes most
    # batches of short keys and values (an item of 128 bytes or more takes two length bytes, which it leaves to the
    # parser), and none with a string of 128 bytes or more.
    rng = random.Random(kind)
    short_keys, short_values = [key for key in _KEYS if len(key) < 60], [value for value in _VALUES if len(value) < 60]
    taken = 0
    for trial in range(300):
        keys, values = (short_keys, short_values) if trial % 3 else (_KEYS, _VALUES)
        plain = trial % 5 == 4
        batch = []
        for index in range(rng.randrange(1, 12)):
            message = pb.Record(num=index * 300 + trial if index % 4 else 0)
            items = message.history.item if kind == "history" else message.summary.update
            for _ in range(rng.randrange(kind == "summary", 5)):  # a summary record without items is none
                item = items.add(value_json=rng.choice(values))
                if plain:
                    item.key = rng.choice(keys)
                else:
                    item.nested_key.append(rng.choice(keys))
            if kind == "history" and rng.random() < 0.7:
                message.history.step.num = rng.choice([0, 1, 300, 2**40])
            batch.append(message.SerializeToString())
        wire = wandb_items._wire_items(Records(batch), np.arange(len(batch)), kind)
        if wire is not None:
            taken += 1
            assert _items_state(wire) == _items_state(wandb_items._merged_items(batch, kind))
        if keys is _KEYS:
            assert wire is None or all(len(key.encode()) < 128 for key in wire.names)
    assert taken > 100


# --- the pieces


def test_merged_batches_keep_where_each_record_ends():
    first = record(7, history=_row(0, loss="1"))
    second = record(8, history=_row(1, loss="2", acc="3"))
    merged = merge_batch([first, second], "history")
    names, raws = list(merged.item.nested_key), list(merged.item.value_json)
    ends = record_ends(names, 2)
    assert ends == [4, 10]
    assert names[: ends[0]] == ["loss", "_step", "_timestamp", "_runtime"] and raws[0] == "1"
    assert record_ends(names, 3) is None and record_ends(names, 1) is None
    spoofed = merge_batch([record(9, history=_row(0, **{RECORD_END: "1"}))], "history")
    assert record_ends(list(spoofed.item.nested_key), 1) is None  # one end marker too many
    assert merge_batch([first, b"\x12\xff\x01abc"], "history") is None
    assert merge_batch([first], "summary") is None  # not summary records


def test_numbers_are_read_as_float_reads_them():
    rng = random.Random(5)
    texts = [repr(rng.uniform(-1e6, 1e6)) for _ in range(3 * CHUNK)]
    specials = {10: "NaN", 11: "-Infinity", 12: "1e400", 13: "-0", 14: "12345678901234567890123", 15: " 7",
                16: "1_0", 17: "inf", CHUNK + 5: "nan(1)", 2 * CHUNK + 9: '"text"'}
    for index, text in specials.items():
        texts[index] = text
    nums, slow = numbers(texts)
    assert slow == [CHUNK, 2 * CHUNK]  # float() rejects nan(1) and "text"; the other chunks are all numbers
    for index, text in enumerate(texts):
        if index // CHUNK * CHUNK in slow:
            assert nums[index] is None
        else:
            assert struct.pack("<d", nums[index]) == struct.pack("<d", float(text)), text
    assert numbers(["1", "2"]) == ([1.0, 2.0], []) and numbers([]) == ([], [])


def test_the_batch_size_does_not_change_the_run(tmp_path, monkeypatch):
    path = _write(tmp_path, [record(1, run=_run), *_steps(300)])
    expected = _state(parse_run_file(path))
    for size in (1, 2, 7, 100):
        monkeypatch.setattr(wandb_run_file, "_BATCH", size)
        assert _state(parse_run_file(path)) == expected
