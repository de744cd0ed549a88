"""Runs side by side: which fields differ, and the numeric config that varies for parallel coordinates."""

from __future__ import annotations

from sprintboard.analytics.run_comparison import compare_runs, config_and_metric
from tests.analytics.rows import add_run


def config(con, run_id: str, key: str, value: float | str) -> None:
    number = value if isinstance(value, float) else None
    con.execute("INSERT INTO run_config (run_id, key, value_json, value_num, value_text) VALUES (?, ?, ?, ?, ?)",
                [run_id, key, repr(value), number, None if number is not None else value])


def test_fields_that_differ_come_first_and_a_missing_value_differs(con):
    for run_id, lr, model in (("a", 0.1, "mlp"), ("b", 0.01, "mlp")):
        add_run(con, run_id)
        config(con, run_id, "lr", lr)
        config(con, run_id, "model", model)
    config(con, "a", "dropout", 0.5)
    con.execute("""INSERT INTO run_summary (run_id, key, value_json, value_num) VALUES
                   ('a', 'val/auc', '0.9', 0.9), ('b', 'val/auc', '0.9', 0.9), ('a', '_runtime', '3', 3)""")
    table = compare_runs(con, ["b", "a"])
    assert list(table.columns) == ["section", "field", "differs", "b", "a"]
    rows = {(row.section, row.field): (row.differs, row.b, row.a) for row in table.itertuples()}
    assert rows == {("config", "dropout"): (True, None, 0.5), ("config", "lr"): (True, 0.01, 0.1),
                    ("config", "model"): (False, "mlp", "mlp"), ("summary", "val/auc"): (False, 0.9, 0.9)}
    assert table["differs"].tolist() == [True, True, False, False]


def test_parallel_coordinates_keep_numeric_config_that_varies(con):
    for run_id, lr, layers, auc in (("a", 0.1, 2.0, 0.8), ("b", 0.01, 2.0, 0.85), ("c", 0.001, 2.0, None)):
        add_run(con, run_id)
        config(con, run_id, "lr", lr)
        config(con, run_id, "layers", layers)
        config(con, run_id, "model", "mlp")
        if auc is not None:
            con.execute("INSERT INTO run_summary (run_id, key, value_json, value_num) VALUES (?, 'auc', ?, ?)",
                        [run_id, str(auc), auc])
    frame = config_and_metric(con, ["a", "b", "c"], "auc")
    assert list(frame.columns) == ["run_id", "lr", "auc"]
    assert sorted(zip(frame["run_id"], frame["lr"], frame["auc"], strict=True)) == [("a", 0.1, 0.8),
                                                                                   ("b", 0.01, 0.85)]
