"""The benchmark's synthetic project: the small one, generated into a temporary folder, ingests completely -- runs
linked to their sprints and hypotheses, tables for the bias checks -- and every page opens on it, with the SQL
recorder seeing the queries each page runs. No timings are checked here; ``make bench`` measures them."""

from __future__ import annotations

import duckdb
import pytest
from wandb.proto import wandb_internal_pb2 as pb

from bench.generate_project import SIZES, project
from bench.page_timing import VIEWS, run_view
from bench.sql_recorder import SqlRecorder, statements, writes
from bench.wandb_records import StepEncoder

SMALL = SIZES["small"]


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory):
    return project(SMALL, folder=tmp_path_factory.mktemp("bench") / "project-small")


@pytest.fixture(scope="module")
def db(small):
    with duckdb.connect(str(small.store), read_only=True) as con:
        yield con


def test_a_logged_step_is_the_three_records_wandb_writes():
    values = ["0.8125", "1.2e-05", "1795434226.9703872", "812.5", "300"]
    written = StepEncoder(["val/auc", "train/loss"]).step_records(901, 300, 812.5, values)

    runtime = pb.Record(num=901)
    runtime.summary.update.add(nested_key=["_wandb", "runtime"], value_json="812")
    runtime.summary.update.add(key="_runtime", value_json="812")
    row, history = pb.Record(num=902), pb.Record(num=903)
    for key, value in zip(["val/auc", "train/loss", "_timestamp", "_runtime", "_step"], values, strict=True):
        row.summary.update.add(nested_key=[key], value_json=value)
        history.history.item.add(nested_key=[key], value_json=value)
    history.history.step.num = 300
    assert written == (runtime.SerializeToString(), row.SerializeToString(), history.SerializeToString())


def test_the_small_project_loads_every_run_point_and_backlog_entry(small, db):
    facts = small.facts()
    assert (facts["runs"], facts["run_folders"], facts["history_points"]) == (50, 50, 500_000)
    assert db.execute("SELECT count(*) FROM runs").fetchone()[0] == 50
    assert db.execute("SELECT count(value_num) FROM history").fetchone()[0] == 500_000
    assert db.execute("SELECT count(DISTINCT key) FROM metric_keys").fetchone()[0] == 10
    assert db.execute("SELECT count(*) FROM ingest_log WHERE status = 'rejected'").fetchone()[0] == 0
    counts = db.execute("""SELECT (SELECT count(*) FROM sprints), (SELECT count(*) FROM work_items),
                                  (SELECT count(*) FROM item_events)""").fetchone()
    assert counts == (20, 200, facts["events"])
    assert facts["events"] > 3 * 200  # created, put in the sprint, and moved on the board
    # Failed runs end with exit code 1; crashed and running ones have no exit record.
    states = dict(db.execute("SELECT state, count(*) FROM runs GROUP BY state").fetchall())
    assert set(states) <= {"finished", "failed", "running/killed"} and states["finished"] > 40


def test_runs_are_linked_to_sprints_and_hypotheses_by_their_tags(db):
    # Every run started inside a sprint; most name it with a sprint:<name> tag.
    linked = dict(db.execute("SELECT linked_by, count(*) FROM run_sprints GROUP BY linked_by").fetchall())
    assert sum(linked.values()) == 50 and linked["reference"] > linked.get("start time", 0)
    tagged = db.execute("""SELECT run_id, hypothesis_ref FROM runs WHERE hypothesis_ref IS NOT NULL
                           AND list_contains(tags, 'hyp:' || hypothesis_ref)""").fetchall()
    assert tagged
    hypotheses = {row[0] for row in db.execute("SELECT hypothesis_id FROM hypotheses").fetchall()}
    assert {f"H-{index:02d}" for index in range(1, 21)} <= hypotheses
    assert {ref for _, ref in tagged} <= hypotheses


def test_some_runs_log_a_predictions_table_with_the_fairness_columns(db):
    tables = db.execute("""SELECT run_id, count(DISTINCT row_index), list(DISTINCT column_name ORDER BY column_name)
                           FROM predictions WHERE table_key = 'val/predictions' GROUP BY run_id""").fetchall()
    assert len(tables) == 5
    assert all(rows == 1000 and columns == ["age_band", "label", "prediction", "score", "sex"]
               for _, rows, columns in tables)
    policy = db.execute("SELECT table_key, attributes FROM fairness_policy").fetchone()
    assert policy == ("val/predictions", ["sex", "age_band"])


@pytest.mark.parametrize("view", VIEWS, ids=lambda view: view.url)
def test_every_page_opens_and_its_queries_are_recorded(small, view, monkeypatch):
    monkeypatch.setenv("SPRINTBOARD_DB", str(small.store))
    with SqlRecorder() as recorder:
        run = run_view(view, recorder)
    assert run.problems == []
    assert (statements(run.connections) > 0) == view.queries
    assert writes(run.connections) == 0
    if view.url == "/metrics":
        assert run.chart_bytes > 0  # the default curves of the newest runs
