"""Syncing a W&B project through the public API, against a fake of the API (the test machines have no network)."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sprintboard.ingest.wandb_api import SYNC_OVERLAP, SyncError, api_time, run_filters, sync_project
from sprintboard.store import read_connection
from tests.ingest.fake_wandb_api import FakeApi, FakeCommError, FakeRun, iso, matches

NOW = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
EARLIER = NOW - timedelta(days=3)


def detailed_run() -> FakeRun:
    """A finished run with nested config, a summary with media, a tensor placeholder and a table, and history."""
    run = FakeRun(
        "a1b2c3d4", name="hgb-depth-6", state="finished", created_at=iso(EARLIER),
        tags=["sprint:S2", "hyp:H3"], notes="deeper trees", group="hgb", job_type="train", sweep_name="sw33p",
        config={"model": {"depth": 6, "lr": 0.05}, "seed": 7, "features": ["age", "hours"]},
        metadata={"host": "gpu-01", "program": "train.py",
                  "git": {"commit": "abc123", "remote": "git@github.com:team/models.git"}},
    )
    for step in range(4):
        run.log({"train/loss": 1.0 / (step + 1), "val": {"auc": 0.7 + step / 100}, "phase": "fit"},
                step=step, at=iso(EARLIER + timedelta(minutes=step)))
    run.log({"train/loss": math.nan, "flag": True}, step=4, at=iso(EARLIER + timedelta(minutes=4)))
    run.log_table("val/predictions", ["id", "label", "score"], [[0, "yes", 0.9], [1, "no", 0.2], [2, "yes", 0.6]],
                  step=5, at=iso(EARLIER + timedelta(minutes=5)))
    run.set_summary({"best": {"auc": 0.73}, "sample": {"_type": "image-file", "path": "media/images/x.png"},
                     "weights": {"_type": "torch.Tensor", "shape": [3]}})
    return run


def store_rows(store: Path, sql: str, params: list | None = None) -> list[tuple]:
    with read_connection(store) as con:
        return con.execute(sql, params or []).fetchall()


def test_filters_take_the_form_the_public_api_documents():
    assert run_filters() == {}
    since = datetime(2026, 1, 10)
    assert run_filters(["a", "b"], ["finished"], since) == {"$and": [
        {"tags": {"$in": ["a", "b"]}}, {"state": "finished"}, {"createdAt": {"$gte": "2026-01-10T00:00:00Z"}}]}
    assert run_filters(states=["failed", "crashed"]) == {"$and": [{"state": {"$in": ["failed", "crashed"]}}]}
    assert run_filters(updated_since=since) == {"$and": [{"$or": [
        {"updatedAt": {"$gte": "2026-01-10T00:00:00Z"}}, {"heartbeatAt": {"$gte": "2026-01-10T00:00:00Z"}}]}]}


def test_the_fake_refuses_filters_the_server_would_not_take():
    record = FakeRun("r1").server_record()
    assert matches(record, run_filters(["x"])) is False
    for wrong in ({"created_at": {"$gte": "2026-01-01"}}, {"createdAt": {"$gte": 1767225600}},
                  {"tags": {"$contains": "x"}}, {"$and": []}):
        with pytest.raises(FakeCommError):
            matches(record, wrong)


def test_a_sync_loads_runs_with_config_summary_history_and_tables(store_path):
    run = detailed_run()
    plain = FakeRun("plain001", created_at=iso(EARLIER + timedelta(hours=1)), username=None)
    plain.log({"loss": 0.5}, step=0)
    api = FakeApi([run, plain, FakeRun("other", project="another-project")])

    report = sync_project(store_path, "team/proj", api_factory=lambda: api)

    assert api.calls == [{"path": "team/proj", "filters": {}, "order": "+created_at", "per_page": 50,
                          "lazy": False}]
    assert [o.status for o in report.outcomes] == ["loaded", "loaded"]
    assert run.scan_calls == [{"keys": None, "page_size": 1000, "min_step": 0, "max_step": None}]

    (row,) = store_rows(store_path, """SELECT project, entity, name, state, created_at, notes, user_name, group_name,
        job_type, tags, sweep_id, host, git_commit, git_remote, program, url, sprint_ref, hypothesis_ref, source_path,
        runtime_s FROM runs WHERE run_id = 'a1b2c3d4'""")
    assert row == ("proj", "team", "hgb-depth-6", "finished", EARLIER, "deeper trees", "ada", "hgb", "train",
                   ["sprint:S2", "hyp:H3"], "sw33p", "gpu-01", "abc123", "git@github.com:team/models.git",
                   "train.py", "https://wandb.ai/team/proj/runs/a1b2c3d4", "S2", "H3", "wandb://team/proj/a1b2c3d4",
                   300.0)
    assert store_rows(store_path, "SELECT user_name FROM runs WHERE run_id = 'plain001'") == [(None,)]

    config = dict(store_rows(store_path, "SELECT key, value_json FROM run_config WHERE run_id = 'a1b2c3d4'"))
    assert config == {"model.depth": "6", "model.lr": "0.05", "seed": "7", "features": '["age", "hours"]'}

    summary = dict(store_rows(store_path, "SELECT key, value_json FROM run_summary WHERE run_id = 'a1b2c3d4'"))
    assert "_wandb" not in summary and "weights" not in summary  # internal state; a tensor kept in wandb.h5
    assert summary["best.auc"] == "0.73" and summary["phase"] == '"fit"'
    assert '"image-file"' in summary["sample"] and '"table-file"' in summary["val/predictions"]

    expected = [(step, key) for step in range(4) for key in ("train/loss", "val.auc", "phase")]
    expected += [(4, "train/loss"), (4, "flag"), (5, "val/predictions")]
    history = store_rows(store_path, """SELECT step, key, value_num, value_text, runtime_s, timestamp FROM history
                                        WHERE run_id = 'a1b2c3d4' ORDER BY step, key""")
    assert sorted((step, key) for step, key, *_ in history) == sorted(expected)
    by_point = {(step, key): (num, text, runtime, moment) for step, key, num, text, runtime, moment in history}
    assert by_point[(2, "val.auc")][0] == pytest.approx(0.72)
    assert by_point[(2, "train/loss")][2:] == (120.0, EARLIER + timedelta(minutes=2))
    assert math.isnan(by_point[(4, "train/loss")][0]) and by_point[(4, "flag")][1] == "true"
    assert by_point[(0, "phase")][1] == "fit"

    cells = store_rows(store_path, """SELECT table_key, step, row_index, column_name, value_num, value_text
                                      FROM predictions WHERE run_id = 'a1b2c3d4' ORDER BY row_index, column_name""")
    assert len(cells) == 9 and {c[:2] for c in cells} == {("val/predictions", 5)}
    assert cells[:3] == [("val/predictions", 5, 0, "id", 0.0, None), ("val/predictions", 5, 0, "label", None, "yes"),
                         ("val/predictions", 5, 0, "score", 0.9, None)]

    log = store_rows(store_path, """SELECT path, format, status, runs, history_rows, table_rows, error
                                    FROM ingest_log ORDER BY ingest_id""")
    assert log == [("wandb://team/proj/a1b2c3d4", "wandb-api", "loaded", 1, len(expected), 3, None),
                   ("wandb://team/proj/plain001", "wandb-api", "loaded", 1, 1, 0, None)]
    assert report.totals().history_rows == len(expected) + 1 and report.totals().table_rows == 3
    remembered = store_rows(store_path, "SELECT value FROM store_meta WHERE key = 'wandb_sync:team/proj'")
    assert remembered == [(api_time(report.remembered),)]


def test_a_second_sync_reads_only_runs_updated_since_and_a_grown_history_ends_complete(store_path):
    grows, edited, still = (FakeRun(run_id, created_at=iso(EARLIER)) for run_id in ("grows", "edited", "still"))
    for run in (grows, edited, still):
        for step in range(3):
            run.log({"loss": 1.0 - step / 10, "acc": step / 10}, step=step)
    grows.log_table("preds", ["y"], [[1], [0]], step=2)
    api = FakeApi([grows, edited, still])
    first = sync_project(store_path, "team/proj", api_factory=lambda: api)
    assert first.remembered is not None and first.updated_since is None

    later = datetime.now(UTC).replace(tzinfo=None) + timedelta(seconds=5)
    for step in range(3, 6):
        grows.log({"loss": 0.5 - step / 100, "acc": step / 10}, step=step, at=iso(later))
    grows.log_table("preds", ["y"], [[1], [1], [0]], step=6, at=iso(later))
    edited._attrs["tags"] = ["reviewed"]
    edited.touch(iso(later), heartbeat=False)  # an edit moves updatedAt only
    fresh = api.add(FakeRun("fresh", created_at=iso(later)))
    fresh.log({"loss": 0.9}, step=0, at=iso(later))

    second = sync_project(store_path, "team/proj", api_factory=lambda: api)

    since = api_time(first.remembered - SYNC_OVERLAP)
    assert api.calls[-1]["filters"] == {"$and": [{"$or": [{"updatedAt": {"$gte": since}},
                                                           {"heartbeatAt": {"$gte": since}}]}]}
    assert second.updated_since == first.remembered - SYNC_OVERLAP
    assert [o.path.rsplit("/", 1)[1] for o in second.outcomes] == ["grows", "edited", "fresh"]
    assert len(still.scan_calls) == 1 and still.config_reads == 1  # read by the first sync only
    assert grows.scan_calls[-1]["min_step"] == 2  # from the last stored step on

    history = store_rows(store_path, "SELECT step, key, value_num FROM history WHERE run_id = 'grows'")
    assert len(history) == len({(step, key) for step, key, _ in history})  # no duplicates
    assert {(step, key) for step, key, _ in history} == {
        (row["_step"], key) for row in grows.rows for key in row if not key.startswith("_")}
    assert dict(((s, k), v) for s, k, v in history)[(4, "loss")] == pytest.approx(0.46)
    assert store_rows(store_path, "SELECT tags FROM runs WHERE run_id = 'edited'") == [(["reviewed"],)]
    assert store_rows(store_path, """SELECT step, count(*) FROM predictions WHERE run_id = 'grows'
                                     GROUP BY step""") == [(6, 3)]

    third = sync_project(store_path, "team/proj", full=True, api_factory=lambda: api)
    assert api.calls[-1]["filters"] == {} and third.updated_since is None
    assert len(third.outcomes) == 4 and len(still.scan_calls) == 2
    assert grows.scan_calls[-1]["min_step"] == 0
    assert store_rows(store_path, "SELECT count(*) FROM history WHERE run_id = 'grows'") == [(len(history),)]


def test_a_filtered_sync_does_not_move_the_incremental_mark(store_path):
    api = FakeApi([FakeRun("tagged", tags=["x"]), FakeRun("untagged")])
    report = sync_project(store_path, "team/proj", tags=["x"], api_factory=lambda: api)
    assert [o.path for o in report.outcomes] == ["wandb://team/proj/tagged"] and report.remembered is None
    assert store_rows(store_path, "SELECT count(*) FROM store_meta WHERE key LIKE 'wandb_sync:%'") == [(0,)]
    sync_project(store_path, "team/proj", api_factory=lambda: api)
    assert api.calls[-1]["filters"] == {}  # the whole project, since no whole-project sync happened yet


def test_a_run_that_fails_while_read_is_rejected_alone(store_path):
    broken = FakeRun("broken", created_at=iso(EARLIER), fail_on="history",
                     failure=FakeCommError("history page 2 failed: HTTP 502"))
    broken.log({"loss": 1.0}, step=0)
    broken.log({"loss": 0.5}, step=1)
    fine = FakeRun("fine", created_at=iso(EARLIER))
    fine.log({"loss": 1.0}, step=0)
    gone = FakeRun("gone", created_at=iso(EARLIER))
    gone.log({"t": {"_type": "table-file", "path": "media/table/t_0_ab.table.json"}}, step=0)
    api = FakeApi([broken, fine, gone])

    report = sync_project(store_path, "team/proj", api_factory=lambda: api)

    assert [(o.path, o.status) for o in report.outcomes] == [
        ("wandb://team/proj/broken", "rejected"), ("wandb://team/proj/fine", "loaded"),
        ("wandb://team/proj/gone", "rejected")]
    assert report.outcomes[0].error == "FakeCommError: history page 2 failed: HTTP 502"
    assert report.outcomes[2].error == "table t: the run has no file media/table/t_0_ab.table.json"
    assert store_rows(store_path, "SELECT run_id FROM runs") == [("fine",)]
    assert store_rows(store_path, "SELECT count(*) FROM history WHERE run_id <> 'fine'") == [(0,)]
    log = store_rows(store_path, "SELECT path, status, error FROM ingest_log WHERE status = 'rejected'")
    assert [(path, error) for path, _, error in log] == [(o.path, o.error) for o in report.rejected]
    assert report.remembered is None  # the next sync tries the rejected runs again


def test_a_project_that_cannot_be_listed_changes_nothing(store_path):
    api = FakeApi([FakeRun("r1")], list_error=FakeCommError("project not found"))
    with pytest.raises(SyncError) as caught:
        sync_project(store_path, "team/nope", api_factory=lambda: api)
    assert str(caught.value).startswith("team/nope: cannot list the project's runs (FakeCommError: project not found)")
    assert "wandb login" in str(caught.value) and not store_path.exists()


@pytest.mark.parametrize("path", ["team", "team/", "/proj", "a/b/c"])
def test_the_project_must_be_entity_slash_project(store_path, path):
    with pytest.raises(SyncError, match="expected ENTITY/PROJECT"):
        sync_project(store_path, path, api_factory=FakeApi)


def test_the_fake_has_the_names_and_signatures_of_the_installed_wandb():
    import inspect

    from wandb.apis.public import Api, File, Run
    from wandb.apis.public.runs import LIGHTWEIGHT_RUN_FRAGMENT, RUN_FRAGMENT

    from tests.ingest.fake_wandb_api import FakeFile

    for name in ("id", "name", "state", "entity", "config", "summary", "summary_metrics", "sweep_name", "url",
                 "metadata", "lastHistoryStep", "scan_history", "history", "file"):
        assert hasattr(Run, name) and hasattr(FakeRun, name), name
    for field in ("createdAt", "heartbeatAt", "notes", "group", "jobType", "tags", "commit", "sweepName", "user"):
        assert field in RUN_FRAGMENT and field in LIGHTWEIGHT_RUN_FRAGMENT and field in FakeRun("r")._attrs
    assert "updatedAt" not in RUN_FRAGMENT  # so run.updated_at raises on the real Run, and on the fake
    with pytest.raises(AttributeError):
        getattr(FakeRun("r"), "updated_at")  # noqa: B009 - the attribute access is what is tested

    def parameters(function) -> list[str]:
        return list(inspect.signature(function).parameters)

    assert parameters(Api.runs)[1:] == parameters(FakeApi.runs)[1:]
    assert parameters(Run.scan_history) == parameters(FakeRun.scan_history)
    assert parameters(File.download) == parameters(FakeFile.download)
