"""Logged tables offered on their own: key and step from the name, the run from the folder or from --run."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sprintboard.ingest.table_file import parse_table_file
from sprintboard.store.errors import InputError

RUN_FOLDER = Path(__file__).parents[1] / "fixtures" / "wandb" / "offline-run-20261123_091246-ira2n5hh"
TABLE = RUN_FOLDER / "files" / "media" / "table" / "eval" / "preds_5_b0f3e2adeccd5d50ad9f.table.json"


def test_a_table_inside_a_run_folder_belongs_to_that_run_with_key_and_step_from_its_name():
    (run,) = parse_table_file(TABLE)
    assert run.run_id == "ira2n5hh" and run.logged_data_only
    (table,) = run.tables
    assert (table.key, table.step, table.columns, table.rows) == ("eval/preds", 5, ["x", "y"], [[1, "a"], [2, "b"]])


def test_a_loose_table_needs_the_run_named(tmp_path):
    loose = shutil.copy(TABLE, tmp_path / TABLE.name)
    with pytest.raises(InputError) as caught:
        parse_table_file(loose)
    assert caught.value.problem == ("the run that logged this table cannot be told (the file is not inside a W&B "
                                    "run folder run-<date>-<id>); name it with --run ID")
    (run,) = parse_table_file(loose, run_id="ira2n5hh")
    assert run.run_id == "ira2n5hh" and (run.tables[0].key, run.tables[0].step) == ("preds", 5)
    other = shutil.copy(TABLE, tmp_path / "scores.table.json")
    (named,) = parse_table_file(other, run_id="r")
    assert (named.tables[0].key, named.tables[0].step) == ("scores", None)


def test_a_table_whose_rows_do_not_fit_its_columns_is_refused(tmp_path):
    folder = tmp_path / "run-20250101_120000-abc123" / "files" / "media" / "table"
    folder.mkdir(parents=True)
    path = folder / "val_predictions_3_0123abcd.table.json"
    path.write_text('{"columns": ["label", "score"], "data": [[1, 0.9], [0]]}')
    with pytest.raises(InputError, match=r"data\[1\] has 1 cells where there are 2 columns"):
        parse_table_file(path)
    path.write_text('{"columns": ["label", "score"], "data": [[1, NaN]]}')
    (run,) = parse_table_file(path)
    assert run.run_id == "abc123" and run.tables[0].key == "val_predictions" and run.tables[0].step == 3


def test_a_whole_number_too_large_for_a_float_is_kept_as_its_digits_with_a_warning(tmp_path):
    path = tmp_path / "scores.table.json"
    path.write_text(f'{{"columns": ["id", "score"], "data": [[1, 0.5], [2, {10**400}], [3, [{10**400}]]]}}')
    (run,) = parse_table_file(path, run_id="r")
    # a number inside a list cell is kept within the cell's JSON text, which holds any number
    assert run.tables[0].rows == [[1, 0.5], [2, str(10**400)], [3, [10**400]]]
    assert run.warnings == ["data[1], column 'score': the whole number 1000000…000 (401 digits) is too large for a "
                            "float, the store's numbers, and is kept as its digits (text)"]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('{"columns": ["a"], "data": [[1]], "data": [[2]]}', "key 'data' appears more than once"),
        ('{"columns": ["a"], "data": [[1], [{"x": 1, "x": 2}]]}', "data[1][0]: key 'x' appears more than once"),
    ],
)
def test_an_object_with_a_key_written_twice_is_refused_naming_the_key(tmp_path, text, problem):
    path = tmp_path / "scores.table.json"
    path.write_text(text)
    with pytest.raises(InputError) as caught:
        parse_table_file(path, run_id="r")
    assert caught.value.problem == f"{problem}, so which value was logged cannot be told"
