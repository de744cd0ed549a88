"""History dumps written by pandas from the W&B API: real CSV files, and the same rows as JSON records and lines.

The values asserted here were read by hand from the CSV files in tests/fixtures/wandb_exports/api_dump/.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from sprintboard.ingest.history_dump import parse_history_dump
from sprintboard.ingest.parsed import ParsedRun
from sprintboard.store.errors import InputError

DUMPS = Path(__file__).parents[1] / "fixtures" / "wandb_exports" / "api_dump"
NANOGPT = DUMPS / "Lucas-longxutang__Comp3242_Group_Project_nanoGPT__A1_no_pos_encoding_2y053857_history.csv"
MARL = DUMPS / "SnappierCape__ds-marl-air-cargo__wandb_export.csv"


def _point(run: ParsedRun, step: int, key: str) -> tuple:
    h = run.history
    for index, (s, k) in enumerate(zip(h.step, h.key, strict=True)):
        if (s, k) == (step, key):
            return h.value_num[index], h.value_text[index], h.timestamp[index], h.runtime[index]
    raise KeyError((step, key))


def test_a_csv_dump_keeps_each_key_where_it_was_logged():
    (run,) = parse_history_dump(NANOGPT)
    assert run.run_id == NANOGPT.stem and run.logged_data_only
    counts = Counter(run.history.key)
    assert counts == {"iter": 522, "train/step_loss": 501, "val/loss": 21, "train/loss": 21, "lr": 21,
                      "Sample Generation": 1}  # _step, _runtime and _timestamp are not keys
    assert sorted(set(run.history.step)) == list(range(523))
    value, _, timestamp, runtime = _point(run, 0, "val/loss")
    assert value == 4.208611965179443 and runtime == 19.1196642
    assert datetime.fromtimestamp(timestamp, UTC) == datetime(2026, 5, 24, 6, 1, 38, 305367, UTC)
    assert _point(run, 26, "val/loss")[0] == 2.3888962268829346
    _, media, _, _ = _point(run, 522, "Sample Generation")  # pandas wrote the media reference as a Python dict
    assert json.loads(media)["_type"] == "html-file" and json.loads(media)["size"] == 276


def test_a_wide_dump_with_metrics_logged_every_tenth_step():
    (run,) = parse_history_dump(MARL, run_id="air-cargo")
    assert run.run_id == "air-cargo"
    counts = Counter(run.history.key)
    assert len(counts) == 67 and counts["train/ghas/entropy"] == 256 and counts["eval/reward/episode_len_mean"] == 26
    value, _, timestamp, runtime = _point(run, 9, "num_epoch")
    assert value == 10 and runtime == 8011.39500075 and timestamp == 1781027186.9039721


@pytest.mark.parametrize("lines", [False, True])
def test_json_records_and_json_lines_give_the_csv_dump_s_points(tmp_path, lines):
    frame = pd.read_csv(NANOGPT)
    path = tmp_path / "2y053857.json"
    frame.to_json(path, orient="records", lines=lines, double_precision=15)
    (from_json,) = parse_history_dump(path)
    (from_csv,) = parse_history_dump(NANOGPT)
    assert from_json.run_id == "2y053857"
    assert Counter(from_json.history.key) == Counter(from_csv.history.key)
    assert _point(from_json, 26, "val/loss")[0] == pytest.approx(2.3888962268829346, rel=1e-14)


def test_an_index_column_is_dropped_nan_is_no_point_and_a_string_stays_text(tmp_path):
    path = tmp_path / "dump.csv"
    pd.DataFrame({"_step": [0, 1, 2], "loss": [1.0, float("nan"), 0.5], "note": [1, "diverged", 3],
                  "_wandb": ["x", "y", "z"]}).to_csv(path)  # with pandas' unnamed index column
    (run,) = parse_history_dump(path)
    h = run.history
    points = list(zip(h.step, h.key, h.value_num, h.value_text, strict=True))
    assert points == [(0, "loss", 1.0, None), (0, "note", 1.0, None), (1, "note", None, "diverged"),
                      (2, "loss", 0.5, None), (2, "note", 3.0, None)]


def test_a_row_without_a_step_is_refused(tmp_path):
    path = tmp_path / "dump.csv"
    path.write_text("_step,loss\n0,1.0\n,2.0\n")
    with pytest.raises(InputError, match="line 3: no _step"):
        parse_history_dump(path)
    path.write_text('[{"_step": 0, "loss": 1}, {"_step": "x", "loss": 2}]')
    with pytest.raises(InputError, match="record 1: _step 'x' is not a whole number"):
        parse_history_dump(path)


@pytest.mark.parametrize("suffix", [".json", ".csv"])
def test_a_whole_number_too_large_for_a_float_is_kept_as_its_digits_with_a_warning(tmp_path, suffix):
    path = tmp_path / f"dump{suffix}"
    if suffix == ".json":
        path.write_text(f'[{{"_step": 0, "count": {10**400}, "loss": 0.5}}, {{"_step": 1, "count": 3}}]')
        where = "record 0"
    else:
        path.write_text(f"_step,count,loss\n0,{10**400},0.5\n1,3,\n")
        where = "line 2"
    (run,) = parse_history_dump(path)
    assert _point(run, 0, "count")[:2] == (None, str(10**400))  # the digits, as the .wandb reader keeps them
    assert _point(run, 0, "loss")[:2] == (0.5, None) and _point(run, 1, "count")[:2] == (3.0, None)
    assert run.warnings == [f"{where}, key 'count': the whole number 1000000…000 (401 digits) is too large for a "
                            "float, the store's numbers, and is kept as its digits (text)"]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('[{"_step": 0, "loss": 0.5, "loss": 9.5}]',
         "record 0: key 'loss' appears more than once, so which value was logged cannot be told"),
        ('[{"_step": 0}, {"_step": 1, "val": {"auc": 0.5, "auc": 0.7}}]',
         "record 1: key 'val.auc' appears more than once, so which value was logged cannot be told"),
        ('{"_step": 0, "loss": 0.5}\n{"_step": 1, "loss": 0.4, "loss": 0.3}\n',
         "line 2: key 'loss' appears more than once, so which value was logged cannot be told"),
    ],
)
def test_a_json_record_with_a_key_written_twice_is_refused_naming_the_key(tmp_path, text, problem):
    path = tmp_path / "dump.json"
    path.write_text(text)
    with pytest.raises(InputError) as caught:
        parse_history_dump(path)
    assert caught.value.problem == problem


@pytest.mark.parametrize(
    ("record", "problem"),
    [
        ('{"_step": 9223372036854775808}', "record 0: _step 9223372036854775808 is beyond the steps the store holds "
                                           "(64-bit whole numbers)"),
        (f'{{"_step": {10**400}}}', "record 0: _step 1000000…000 (401 digits) is beyond the steps the store holds "
                                    "(64-bit whole numbers)"),
        (f'{{"_step": 0, "_runtime": {10**400}}}', "record 0: _runtime 1000000…000 (401 digits) is too large for a "
                                                   "number of seconds"),
    ],
)
def test_a_step_or_time_beyond_what_the_store_holds_is_refused(tmp_path, record, problem):
    path = tmp_path / "dump.json"
    path.write_text(f"[{record}]")
    with pytest.raises(InputError) as caught:
        parse_history_dump(path)
    assert caught.value.problem == problem
    path.write_text('[{"_step": 9223372036854775807, "loss": 1}]')  # the largest step there is loads
    assert parse_history_dump(path)[0].history.step == [2**63 - 1]
