"""Runs-table exports from real W&B projects: fields, typed config and summary, and where config stops.

The values asserted here were read by hand from the CSV files in tests/fixtures/wandb_exports/runs_table/.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from sprintboard.ingest.runs_table_csv import parse_runs_table, split_columns
from sprintboard.store.errors import InputError

RUNS_TABLES = Path(__file__).parents[1] / "fixtures" / "wandb_exports" / "runs_table"
ASPECT = RUNS_TABLES / "Aspect022__EEG_Multiple_Diseases__wandb_export_2026-03-18T18_44_50.364+05_30.csv"
LUCAS = RUNS_TABLES / "Lucas-longxutang__Comp3242_Group_Project_nanoGPT__wandb_export.csv"
ATOFFANO = RUNS_TABLES / "atoffano__KGene2Pheno__wandb.csv"
KINGB12 = RUNS_TABLES / "kingb12__text_aug_experiments__wandb_export.csv"


def _by_id(path: Path, **options) -> dict:
    return {run.run_id: run for run in parse_runs_table(path, **options)}


def test_a_sorted_export_splits_config_from_summary_where_the_order_restarts():
    runs = _by_id(LUCAS)
    assert len(runs) == 64
    # G1_ternary_weights was run four times (seeds 6242, 2026, 3740, 3242); its start time tells the runs apart
    run = runs["name:G1_ternary_weights@2026-05-25T14:08:33Z"]
    assert (run.name, run.state, run.notes, run.user, run.sweep_id) == ("G1_ternary_weights", "finished", None,
                                                                        None, None)
    assert run.created_at == datetime(2026, 5, 25, 14, 8, 33)
    assert run.runtime_s == 732 and run.tags == ["full"]
    assert run.config["seed"] == 6242 and run.config["learning_rate"] == 0.001 and run.config["bias"] is False
    assert run.config["linear_type"] == "ternary" and run.config["n_params"] == 10745088
    assert list(run.summary) == ["iter", "lr", "train/loss", "train/step_loss", "val/loss"]
    assert run.summary["val/loss"] == 1.4786324501037598 and run.summary["iter"] == 5000
    assert len(run.config) == 30 and "weight_decay" in run.config and "lr" not in run.config
    assert sum(r.name == "G1_ternary_weights" for r in runs.values()) == 4
    assert any("told apart by start time" in w for w in run.warnings)


def test_a_sorted_export_with_one_column_out_of_order_still_splits_and_says_so():
    runs = _by_id(ASPECT)
    assert len(runs) == 47
    run = runs["name:fusion_a_fold0"]  # a name used once keeps the plain name:<Name> id
    assert run.created_at == datetime(2026, 3, 17, 19, 1, 41) and run.runtime_s == 7143 and run.tags == []
    assert len(run.config) == 24 and list(run.config)[-1] == "weight_decay"
    assert run.config["epochs"] == 50 and run.config["optimizer"] == "adamw" and run.config["mixed_precision"] is True
    assert len(run.summary) == 28 and list(run.summary)[0] == "best_accuracy"
    assert run.summary["best_f1"] == 0.6735022009398157 and run.summary["final/MCC"] == 0.6983830312478654
    assert run.summary["train/loss"] == 0.0020756688925230127 and run.summary["val/acc"] == 81.9092313855663
    (split_warning,) = [w for w in run.warnings if "summary columns" in w]
    assert "'best_accuracy'" in split_warning and "'val/acc' and 'train/loss'" in split_warning


def test_a_hand_ordered_export_loads_everything_as_summary_with_a_warning_naming_the_option():
    runs = _by_id(ATOFFANO)
    assert len(runs) == 111
    assert sorted(r.state for r in runs.values()).count("failed") == 104
    assert [r.state for r in runs.values()].count("crashed") == 2
    run = runs["name:silvery-sun-3"]
    assert run.user == "antoine-toffano" and run.runtime_s == 602 and run.state == "failed"
    assert run.config == {} and len(run.summary) == 34
    assert run.summary["keywords"] == ["gene", "phenotype", "interaction", "disease_plus_ortho", "disease-ontology",
                                       "phenotype-ontology", "expression_pattern"]
    assert run.summary["method"] == "TransE" and run.summary["Mean Rank"] == 3.8104910850524902
    (warning,) = [w for w in run.warnings if "config and summary" in w]
    assert "all 34 columns were loaded as summary" in warning and "--summary-from COLUMN" in warning
    # nine runs have no Hit@ values at all: an empty cell is a missing key, not an empty value
    assert "Hit@1" not in runs["name:TorusE e100 b64"].summary


def test_summary_from_splits_a_hand_ordered_export_where_the_user_says():
    run = _by_id(ATOFFANO, summary_from="Hit@10")["name:silvery-sun-3"]
    assert run.config["lr"] == 0.0001 and run.config["batch_size"] == 4092 and run.config["n_epochs"] == 50
    assert run.summary["Hit@10"] == 1 and run.summary["MRR"] == 0 and run.summary["loss"] == 162.90724784032696
    assert "Hit@1" in run.config  # the user placed it among the config columns; the option follows the file
    assert not any("config and summary" in w for w in run.warnings)


def test_an_export_with_hand_arranged_fixed_columns_is_not_guessed_and_keeps_wandb_ids():
    runs = _by_id(KINGB12)
    assert sorted(runs) == ["3p0donj4", "3sxe821n", "3up8c2o8", "amdplvd1", "mw9vrozk"]
    run = runs["3p0donj4"]
    assert (run.name, run.notes, run.state) == ("bert_substitute_02", "test", "unknown")  # no State column
    assert run.created_at == datetime(2022, 6, 10, 5, 44, 17) and run.runtime_s == 498
    assert run.config == {} and run.summary["augment_probability"] == 0.2
    assert run.summary["train/aug_on_aug_test_accuracy"] == 0.6556
    assert any("arranged by hand" in w and "--summary-from" in w for w in run.warnings)


def test_runtime_comes_from_end_time_when_the_runtime_column_was_removed(tmp_path):
    path = tmp_path / "runs.csv"
    path.write_text('"Name","ID","Created","End Time","lr","loss"\n'
                    '"a","r1","2022-06-10T05:44:17.000Z","2022-06-10T05:52:35.000Z","0.1","0.5"\n')
    (run,) = parse_runs_table(path)
    assert run.run_id == "r1" and run.runtime_s == 498


@pytest.mark.parametrize(
    ("columns", "config", "summary"),
    [
        (["a", "c", "e", "b", "d"], ["a", "c", "e"], ["b", "d"]),  # two sorted runs
        (["d", "e", "f", "a", "b", "x", "c", "y"], ["d", "e", "f"], ["a", "b", "x", "c", "y"]),  # one out of place
        (["a", "c", "e", "b", "x", "d", "f"], [], ["a", "c", "e", "b", "x", "d", "f"]),  # config could end at b or x
        (["a", "b", "c"], [], ["a", "b", "c"]),  # no restart: nothing says where config ends
        (["c", "a", "d", "b", "e", "a0"], [], ["c", "a", "d", "b", "e", "a0"]),  # not two sorted runs
    ],
)
def test_the_split_rule(columns, config, summary):
    split = split_columns(["Name", "State", "Created", *columns])
    assert (split.config, split.summary) == (config, summary)
    assert (split.warning is None) == (columns == ["a", "c", "e", "b", "d"])


def test_an_unknown_summary_from_column_and_unparsable_cells_are_refused(tmp_path):
    with pytest.raises(InputError, match="--summary-from 'nope' is not one of the file's config or summary columns"):
        parse_runs_table(LUCAS, summary_from="nope")
    bad = tmp_path / "bad.csv"
    bad.write_text('"Name","State","Created","Runtime"\n"a","finished","yesterday","5"\n')
    with pytest.raises(InputError, match="line 2, column Created: 'yesterday' is not a date-time"):
        parse_runs_table(bad)


def test_runs_that_share_name_and_start_time_cannot_be_told_apart(tmp_path):
    path = tmp_path / "same.csv"
    row = '"a","finished","2022-06-10T05:44:17.000Z","5","1"\n'
    path.write_text('"Name","State","Created","Runtime","lr"\n' + row + row)
    with pytest.raises(InputError, match="lines 2 and 3 are both run 'name:a@2022-06-10T05:44:17Z'; export the table "
                                         "with its ID column"):
        parse_runs_table(path)


def test_a_dict_cell_never_replaces_a_value_written_in_a_column_of_its_own(tmp_path):
    path = tmp_path / "runs.csv"
    # sorted columns without a restart: all are summary; lr's dict gives lr.a.b (as lr.a's does) and lr.c
    path.write_text('"Name","ID","State","lr","lr.a","lr.c"\n'
                    '"a","r1","finished","{""a"": {""b"": 1}, ""c"": 3, ""d"": 4}","{""b"": 2}","5"\n'
                    '"b","r2","finished","{""c"": 3}","",""\n')
    runs = _by_id(path)
    assert runs["r1"].summary == {"lr.c": 5, "lr.a.b": 1, "lr.d": 4}
    assert [w for w in runs["r1"].warnings if w.startswith("the dict")] == [
        "the dict in column 'lr' gives the key 'lr.c', which is a column of its own: the value from column 'lr.c' "
        "is kept",
        "the dict in column 'lr.a' gives the key 'lr.a.b', which the dict in column 'lr' gives first: the value from "
        "column 'lr' is kept",
    ]
    assert runs["r2"].summary == {"lr.c": 3}  # the column lr.c is empty in this row: the dict's value is the run's
    assert not [w for w in runs["r2"].warnings if w.startswith("the dict")]


def test_a_whole_number_too_large_for_a_float_is_kept_as_its_digits_with_a_warning(tmp_path):
    path = tmp_path / "runs.csv"
    path.write_text(f'"Name","ID","State","Runtime","seed","acc"\n"a","r1","finished","5","{10**400}","0.5"\n')
    (run,) = parse_runs_table(path)
    assert run.config == {"seed": str(10**400)} and run.summary == {"acc": 0.5}
    assert run.warnings == ["line 2, column 'seed': the whole number 1000000…000 (401 digits) is too large for a "
                            "float, the store's numbers, and is kept as its digits (text)"]
    path.write_text(f'"Name","ID","State","Runtime"\n"a","r1","finished","{10**400}"\n')
    with pytest.raises(InputError) as caught:
        parse_runs_table(path)
    assert caught.value.problem == ("line 2, column Runtime: 1000000…000 (401 digits) is too large for a number of "
                                    "seconds")
