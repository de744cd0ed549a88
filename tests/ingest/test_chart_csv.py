"""Chart-panel exports from real W&B workspaces: runs, points per run, values at a step, and other x-axes.

The values asserted here were read by hand from the CSV files in tests/fixtures/wandb_exports/chart_export/.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from sprintboard.ingest.chart_csv import parse_chart_export
from sprintboard.ingest.parsed import ParsedRun
from sprintboard.store.errors import InputError

CHARTS = Path(__file__).parents[1] / "fixtures" / "wandb_exports" / "chart_export"
NANOGPT = CHARTS / "druidowm__nanoGPT__wandb_export.csv"
FLOWERS = CHARTS / "EvergreenTree__di-f-fu-sion__wandb_export.csv"


def _points(run: ParsedRun, key: str) -> dict[int, float]:
    h = run.history
    return {step: value for step, k, value in zip(h.step, h.key, h.value_num, strict=True) if k == key}


def test_each_run_of_a_chart_gets_its_points_by_step_and_the_unbucketed_range_is_dropped():
    runs = {run.run_id: run for run in parse_chart_export(NANOGPT)}
    assert len(runs) == 8
    gpt2 = runs["name:gpt2"]
    assert gpt2.name == "gpt2" and gpt2.logged_data_only and gpt2.warnings == []
    loss = _points(gpt2, "train/loss")
    assert len(loss) == 386 and len(gpt2.history) == 386  # __MIN and __MAX equal the value everywhere: not kept
    assert loss[0] == 10.95404052734375 and loss[385] == 3.2849113941192627
    # a run whose name ends in digits and dots; it has no point at step 163 (an empty cell)
    other = _points(runs["name:gpt2_last_char_token_to_char1729587337.8266432"], "train/loss")
    assert len(other) == 166 and 163 not in other
    assert other[162] == 11.942117691040039 and other[164] == 14.283241271972656
    assert {len(_points(r, "train/loss")) for r in runs.values()} == {51, 57, 166, 150, 128, 386, 118}


def test_steps_with_gaps_keep_their_numbers():
    runs = {run.run_id: run for run in parse_chart_export(FLOWERS)}
    assert sorted(runs) == ["name:oxford_flowers102-colu-conv2d", "name:oxford_flowers102-relu-conv2d"]
    colu = _points(runs["name:oxford_flowers102-colu-conv2d"], "train/loss")
    relu = _points(runs["name:oxford_flowers102-relu-conv2d"], "train/loss")
    assert (len(colu), max(colu)) == (1170, 1285) and (len(relu), max(relu)) == (1030, 1131)
    assert colu[100] == 0.04387301579117775 and relu[100] == 0.04507235065102577


def test_run_names_with_dashes_split_on_the_last_separator_and_a_real_range_is_kept(tmp_path):
    path = tmp_path / "chart.csv"
    path.write_text('"Step","exp - a - val/acc","exp - a - val/acc__MIN","exp - a - val/acc__MAX"\n'
                    '"0","0.5","0.4","0.6"\n"10","","",""\n"20","0.7","0.7","0.7"\n')
    (run,) = parse_chart_export(path)
    assert run.run_id == "name:exp - a"
    assert _points(run, "val/acc") == {0: 0.5, 20: 0.7}
    assert _points(run, "val/acc__MIN") == {0: 0.4, 20: 0.7} and _points(run, "val/acc__MAX") == {0: 0.6, 20: 0.7}


def test_another_x_axis_numbers_points_by_row_keeps_x_as_a_key_and_warns(tmp_path):
    path = tmp_path / "epochs.csv"
    path.write_text("epoch,a - loss,b - loss\n0.5,2.0,\n1.5,1.0,3.0\n2.5,,NaN\n")
    runs = {run.run_id: run for run in parse_chart_export(path)}
    a, b = runs["name:a"], runs["name:b"]
    assert _points(a, "loss") == {0: 2.0, 1: 1.0} and _points(a, "epoch") == {0: 0.5, 1: 1.5}
    assert _points(b, "epoch") == {1: 1.5, 2: 2.5} and math.isnan(_points(b, "loss")[2])
    assert "x-axis is 'epoch', not Step" in a.warnings[0] and "numbered by row" in a.warnings[0]


def test_a_runtime_x_axis_fills_the_runtime_column(tmp_path):
    path = tmp_path / "runtime.csv"
    path.write_text("_runtime,a - loss\n12.5,2.0\n30.0,1.0\n")
    (run,) = parse_chart_export(path)
    assert run.history.runtime == [12.5, 30.0] and set(run.history.key) == {"loss"}
    assert "fills the runtime column" in run.warnings[0]


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("Step,a - loss\n1.5,2\n", "line 2: Step '1.5' is not a whole number"),
        ("Step,a - loss\n1,2\n1,3\n", "line 3: Step 1 appears twice (first on line 2)"),
        ("Step,a - loss\n", "has a header but no points"),
    ],
)
def test_bad_steps_are_refused(tmp_path, body, problem):
    path = tmp_path / "bad.csv"
    path.write_text(body)
    with pytest.raises(InputError) as caught:
        parse_chart_export(path)
    assert caught.value.problem == problem


def test_a_whole_number_too_large_for_a_float_is_kept_as_its_digits_with_a_warning(tmp_path):
    path = tmp_path / "chart.csv"
    path.write_text(f"Step,a - count\n0,{10**400}\n1,7\n")
    (run,) = parse_chart_export(path)
    assert list(zip(run.history.value_num, run.history.value_text, strict=True)) == [(None, str(10**400)), (7.0, None)]
    assert run.warnings == ["line 2, column 'a - count': the whole number 1000000…000 (401 digits) is too large for "
                            "a float, the store's numbers, and is kept as its digits (text)"]


def test_a_step_beyond_64_bits_is_refused(tmp_path):
    path = tmp_path / "chart.csv"
    path.write_text("Step,a - loss\n9223372036854775808,2\n")
    with pytest.raises(InputError) as caught:
        parse_chart_export(path)
    assert caught.value.problem == ("line 2: Step 9223372036854775808 is beyond the steps the store holds (64-bit "
                                    "whole numbers)")
