"""Parsing W&B runs: a real wandb 0.18 run (nanoGPT), a real wandb 0.16 offline run, fresh runs written here with the
installed wandb, and logs built record by record for the cases no SDK writes on purpose."""

from __future__ import annotations

import json
import math
import re
import socket
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from wandb.proto import wandb_internal_pb2 as pb

from sprintboard.ingest.parsed import HistoryColumns, ParsedRun
from sprintboard.ingest.wandb_log import WandbLogError, encode_log, iter_records
from sprintboard.ingest.wandb_run_file import parse_run_file, parse_run_folder
from tests.conftest import FIXTURES
from tests.ingest.log_records import record, summary

NANOGPT = FIXTURES / "wandb" / "run-20241012_160630-jqe8zy9r"
NANOGPT_LOG = NANOGPT / "run-jqe8zy9r.wandb"
LEGACY = FIXTURES / "wandb" / "offline-run-20261123_091246-ira2n5hh"  # written by wandb 0.16.6, offline


def series(history: HistoryColumns, key: str) -> list[tuple[int, float | None, str | None]]:
    """(step, value_num, value_text) of one metric, in file order."""
    return [(history.step[i], history.value_num[i], history.value_text[i])
            for i in range(len(history)) if history.key[i] == key]


def values(history: HistoryColumns, key: str) -> list[float | str | None]:
    return [num if text is None else text for _, num, text in series(history, key)]


# --- a real run: nanoGPT, wandb 0.18.3, killed (exit code 255)


@pytest.fixture(scope="module")
def nanogpt() -> ParsedRun:
    return parse_run_folder(NANOGPT)


def test_nanogpt_run_fields(nanogpt):
    assert nanogpt.run_id == "jqe8zy9r"
    assert (nanogpt.project, nanogpt.entity, nanogpt.name) == ("owt", None, "gpt2")
    assert nanogpt.host == "abe95083-05.cloud.together.ai"
    assert nanogpt.created_at == datetime(2024, 10, 12, 23, 6, 30, 971217)  # startedAt in wandb-metadata.json
    assert nanogpt.git_commit == "eba36e84649f3c6d840a93092cb779a260544d08"
    assert nanogpt.git_remote == "https://github.com/druidowm/nanoGPT.git"
    assert nanogpt.program == "/home/bfs/nanoGPT/train.py"
    assert (nanogpt.exit_code, nanogpt.state, nanogpt.runtime_s) == (255, "failed", 925.0)
    assert nanogpt.tags == [] and nanogpt.notes is None and nanogpt.group is None
    assert nanogpt.warnings == []


def test_nanogpt_config_matches_config_yaml(nanogpt):
    document = yaml.safe_load((NANOGPT / "files" / "config.yaml").read_text())
    expected = {key: entry["value"] for key, entry in document.items() if key != "_wandb"}
    assert expected["min_lr"] == "6e-05"  # PyYAML reads YAML 1.1, where a float needs a dot
    expected["min_lr"] = 6e-05
    assert nanogpt.config == expected
    assert nanogpt.config["learning_rate"] == 0.0006
    assert nanogpt.config["batch_size"] == 12
    assert nanogpt.config["dataset"] == "openwebtext"


def test_nanogpt_summary_matches_wandb_summary_json(nanogpt):
    document = json.loads((NANOGPT / "files" / "wandb-summary.json").read_text())
    assert {key: nanogpt.summary[key] for key in document if key != "_wandb"} == {
        key: value for key, value in document.items() if key != "_wandb"}
    assert nanogpt.summary["train/loss"] == 3.643195867538452
    assert "_wandb" not in nanogpt.summary and "_wandb.runtime" not in nanogpt.summary


def test_nanogpt_history(nanogpt):
    history = nanogpt.history
    loss = series(history, "train/loss")
    assert len(loss) == 13
    assert [step for step, _, _ in loss] == list(range(13))
    assert loss[0][1] == 10.988554954528809
    assert loss[-1][1] == 3.643195867538452
    assert values(history, "iter") == [float(i) for i in range(0, 2401, 200)]
    assert values(history, "mfu")[0] == -100.0
    first = history.key.index("train/loss")
    assert history.timestamp[first] == 1728774402.596541
    assert history.runtime[first] == 11.62582272
    assert not any(key.startswith("_") for key in history.key)


def test_nanogpt_history_agrees_with_the_console_output(nanogpt):
    # train.py printed "step N: train loss X, val loss Y" (4 decimals) for the values it logged.
    printed = re.findall(r"^step (\d+): train loss ([\d.]+), val loss ([\d.]+)$",
                         (NANOGPT / "files" / "output.log").read_text(), flags=re.MULTILINE)
    assert len(printed) == 13
    logged = list(zip(values(nanogpt.history, "iter"), values(nanogpt.history, "train/loss"),
                      values(nanogpt.history, "val/loss"), strict=True))
    for (step, train, val), (iteration, train_loss, val_loss) in zip(printed, logged, strict=True):
        assert (int(step), float(train), float(val)) == (iteration, round(train_loss, 4), round(val_loss, 4))


def test_nanogpt_system_metrics(nanogpt):
    stats = Counter(item.key for record in iter_records(NANOGPT_LOG) if record.HasField("stats")
                    for item in record.stats.item)
    system = Counter(key for key in nanogpt.history.key if key.startswith("system/"))
    assert system == {f"system/{key}": count for key, count in stats.items()}
    assert system["system/gpu.0.gpu"] == 92
    assert len(nanogpt.history) == sum(stats.values()) + 13 * 5
    gpu = series(nanogpt.history, "system/gpu.0.gpu")
    assert gpu[0] == (0, 94.0, None)  # the first stats record comes before the second history row
    assert gpu[-1][0] == 12
    first = nanogpt.history.key.index("system/gpu.0.gpu")
    assert nanogpt.history.timestamp[first] == pytest.approx(1728774401.3926005)
    assert nanogpt.history.runtime[first] == pytest.approx(1728774401.3926005 - 1728774390.971217)


def test_log_alone_lacks_what_only_the_side_files_hold():
    run = parse_run_file(NANOGPT_LOG)
    assert run.program is None  # wandb 0.18 kept the program in wandb-metadata.json only
    assert run.git_commit == "eba36e84649f3c6d840a93092cb779a260544d08"  # the run record has git
    assert run.summary["train/loss"] == 3.643195867538452
    assert run.config["min_lr"] == 6e-05
    assert len(run.history) == 45329


def test_nanogpt_parses_quickly():
    started = time.perf_counter()
    parse_run_file(NANOGPT_LOG)
    assert time.perf_counter() - started < 2.0  # about 0.1 s on a laptop; the bound only catches blow-ups


# --- a real wandb 0.16 offline run: "key" items with JSON-object values


@pytest.fixture(scope="module")
def legacy() -> ParsedRun:
    return parse_run_folder(LEGACY)


def test_legacy_run_fields(legacy):
    assert legacy.run_id == "ira2n5hh"
    assert (legacy.entity, legacy.project, legacy.name) == ("ent16", "proj16", "run sixteen")
    assert (legacy.group, legacy.job_type, legacy.notes) == ("g16", "eval", "written by wandb 0.16")
    assert legacy.tags == ["legacy"]
    assert (legacy.state, legacy.exit_code) == ("finished", 0)
    assert legacy.program == "/tmp/wb16/gen16.py"
    assert legacy.created_at == datetime(2026, 11, 23, 9, 12, 46, 326892)
    assert legacy.config == {"lr": 0.01, "model.depth": 2, "model.act": "gelu", "train/bs": 16, "late": "x"}


def test_legacy_nested_dicts_flatten_and_slash_keys_stay(legacy):
    history = legacy.history
    assert values(history, "loss") == [2.0, 1.0, 2.0 / 3, 0.5, 0.4]
    assert values(history, "val.auc") == [0.5, 0.6, 0.7, 0.8, 0.9]
    assert values(history, "val.deep.x") == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert values(history, "train/acc") == [0.0, 0.1, 0.2, 0.3, 0.4]
    assert values(history, "s") == ["t0", "t1", "t2", "t3", "t4"]
    assert all(math.isnan(v) for v in values(history, "n"))
    assert values(history, "ninf") == [-math.inf] * 5
    assert "val" not in history.key


def test_legacy_summary_and_table(legacy):
    assert legacy.summary["best"] == 0.75
    assert legacy.summary["val.deep.x"] == 4
    assert legacy.summary["eval/preds"]["_type"] == "table-file"
    [table] = legacy.tables
    assert (table.key, table.step, table.columns, table.rows) == ("eval/preds", 5, ["x", "y"], [[1, "a"], [2, "b"]])
    [(step, _, text)] = series(legacy.history, "eval/preds")
    assert step == 5 and json.loads(text)["path"] == "media/table/eval/preds_5_b0f3e2adeccd5d50ad9f.table.json"


# --- fresh runs written with the installed wandb (0.31)


def _logged_rows() -> list[dict]:
    return [
        {"loss": 1.0 / (i + 1), "val": {"auc": 0.9 + i / 100}, "train/acc": 0.25 * i, "s": f"text {i}",
         "n": math.nan, "inf": math.inf, "ninf": -math.inf, "flag": i % 2 == 0, "count": i}
        for i in range(3)
    ]


@pytest.fixture(scope="module")
def fresh_runs(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Two offline runs: one finished normally with everything worth checking logged, one with exit code 1."""
    import wandb

    root = tmp_path_factory.mktemp("wandb")
    with pytest.MonkeyPatch.context() as env:
        for name, value in {"WANDB_MODE": "offline", "WANDB_SILENT": "true", "WANDB_DIR": root,
                            "WANDB_CACHE_DIR": root / "cache", "WANDB_CONFIG_DIR": root / "config",
                            "WANDB_DATA_DIR": root / "data", "WANDB_ARTIFACT_DIR": root / "artifacts",
                            # wandb otherwise names __main__'s file, which an earlier AppTest may have replaced
                            "WANDB_PROGRAM": "train_model.py"}.items():
            env.setenv(name, str(value))
        settings = wandb.Settings(console="off", silent=True)
        before = datetime.now(UTC).replace(tzinfo=None)
        run = wandb.init(project="sprintboard-tests", entity="team", name="fresh run", group="grp",
                         job_type="train", notes="logged by the test", tags=["sprint:s1", "hyp:h7"],
                         config={"lr": 0.1, "model": {"depth": 3, "act": "relu"}, "train/bs": 32},
                         dir=str(root), settings=settings)
        after = datetime.now(UTC).replace(tzinfo=None)
        run.config.update({"late": [1, 2]})
        for row in _logged_rows():
            run.log(row)
        run.log({"only": 5}, step=10)
        run.log({"preds": wandb.Table(columns=["x", "y"], data=[[1, "a"], [2, "b"]])})
        run.summary["best"] = 0.99
        run.summary["gone"] = 1
        del run.summary["gone"]
        run.finish()
        failed = wandb.init(project="sprintboard-tests", name="failing", dir=str(root), settings=settings)
        failed.log({"loss": 2.5})
        failed.finish(exit_code=1)
        wandb.teardown()
    folders = {path.name.rsplit("-", 1)[-1]: path for path in (root / "wandb").glob("offline-run-*")}
    return {"ok": folders[run.id], "failed": folders[failed.id], "started": (before, after)}


@pytest.mark.slow
def test_fresh_run_fields(fresh_runs):
    run = parse_run_folder(fresh_runs["ok"])
    assert (run.entity, run.project, run.name) == ("team", "sprintboard-tests", "fresh run")
    assert (run.group, run.job_type, run.notes) == ("grp", "train", "logged by the test")
    assert run.tags == ["sprint:s1", "hyp:h7"]
    assert (run.state, run.exit_code) == ("finished", 0)
    before, after = fresh_runs["started"]
    assert before - timedelta(seconds=1) <= run.created_at <= after
    # wandb 0.19+ keeps program and host in the log's environment record; there is no wandb-metadata.json.
    assert not (fresh_runs["ok"] / "files" / "wandb-metadata.json").exists()
    assert run.program == "train_model.py"  # the program that logged it
    assert run.host == socket.gethostname()
    assert run.config == {"lr": 0.1, "model.depth": 3, "model.act": "relu", "train/bs": 32, "late": [1, 2]}
    assert run.warnings == []


@pytest.mark.slow
def test_fresh_run_history_is_what_was_logged(fresh_runs):
    history = parse_run_file(next(fresh_runs["ok"].glob("run-*.wandb"))).history
    rows = _logged_rows()
    assert values(history, "loss") == [row["loss"] for row in rows]
    assert values(history, "val.auc") == [row["val"]["auc"] for row in rows]
    assert values(history, "train/acc") == [row["train/acc"] for row in rows]
    assert values(history, "s") == ["text 0", "text 1", "text 2"]
    assert values(history, "flag") == ["true", "false", "true"]  # a bool is kept as JSON text, not a number
    assert values(history, "count") == [0.0, 1.0, 2.0]
    assert all(math.isnan(v) for v in values(history, "n"))
    assert values(history, "inf") == [math.inf] * 3 and values(history, "ninf") == [-math.inf] * 3
    assert [step for step, _, _ in series(history, "loss")] == [0, 1, 2]
    assert series(history, "only") == [(10, 5.0, None)]
    assert "val" not in history.key and not any(key.startswith("_") for key in history.key)
    first = history.key.index("loss")
    assert history.timestamp[first] is not None and history.runtime[first] is not None


@pytest.mark.slow
def test_fresh_run_summary_and_table(fresh_runs):
    run = parse_run_folder(fresh_runs["ok"])
    assert run.summary["loss"] == 1.0 / 3
    assert run.summary["val.auc"] == 0.92
    assert run.summary["best"] == 0.99
    assert "gone" not in run.summary
    assert math.isnan(run.summary["n"]) and run.summary["ninf"] == -math.inf
    assert run.summary["preds"]["_type"] == "table-file"
    [table] = run.tables
    assert (table.key, table.step, table.columns, table.rows) == ("preds", 10, ["x", "y"], [[1, "a"], [2, "b"]])


@pytest.mark.slow
def test_fresh_run_with_exit_code_1_failed(fresh_runs):
    run = parse_run_folder(fresh_runs["failed"])
    assert (run.state, run.exit_code, run.name) == ("failed", 1, "failing")
    assert values(run.history, "loss") == [2.5]


@pytest.mark.slow
def test_fresh_log_cut_anywhere_loads_a_prefix(fresh_runs, tmp_path):
    log = next(fresh_runs["ok"].glob("run-*.wandb"))
    data = log.read_bytes()
    full = parse_run_file(log).history
    for cut in (8, 100, len(data) // 3, len(data) // 2, len(data) - 30, len(data) - 1):
        part = tmp_path / f"cut{cut}" / log.name
        part.parent.mkdir()
        part.write_bytes(data[:cut])
        run = parse_run_file(part)
        assert run.state == "running/killed" and run.exit_code is None
        # A cut that happens to fall between two chunks leaves nothing torn; any other names the torn tail.
        assert len(run.warnings) <= 1 and all(w.startswith("torn tail at byte ") for w in run.warnings), cut
        if cut in (8, len(data) - 1):
            assert len(run.warnings) == 1
        n = len(run.history)
        assert n <= len(full)
        assert all(getattr(run.history, lane) == getattr(full, lane)[:n]
                   for lane in ("step", "key", "value_text", "timestamp")), cut
        assert run.run_id == log.stem.removeprefix("run-")  # from the run record, or else the file name


# --- logs built record by record


def _run(run_id: str = "abc123", start: int = 1_700_000_000):
    def build(run: pb.RunRecord) -> None:
        run.run_id = run_id
        run.project = "p"
        run.start_time.seconds = start

    return build


def _history(step: int, **items: str):
    def build(history: pb.HistoryRecord) -> None:
        for key, raw in {**items, "_step": str(step)}.items():
            item = history.item.add()
            item.nested_key.extend(key.split("|"))
            item.value_json = raw
        history.step.num = step

    return build


def _stats(seconds: int, **items: str):
    def build(stats: pb.StatsRecord) -> None:
        stats.timestamp.seconds = seconds
        for key, raw in items.items():
            stats.item.add(key=key, value_json=raw)

    return build


def _parse(tmp_path: Path, records: list[bytes], name: str = "run-abc123.wandb") -> ParsedRun:
    path = tmp_path / name
    path.write_bytes(encode_log(records))
    return parse_run_file(path)


def test_stats_take_the_step_of_the_latest_history_row(tmp_path):
    run = _parse(tmp_path, [
        record(run=_run()),
        record(stats=_stats(1_700_000_010, cpu="12.5")),
        record(history=_history(4, loss="0.5")),
        record(stats=_stats(1_700_000_020, cpu="50", gpu="1")),
    ])
    assert series(run.history, "system/cpu") == [(0, 12.5, None), (4, 50.0, None)]
    cpu = [i for i, key in enumerate(run.history.key) if key == "system/cpu"]
    assert [run.history.timestamp[i] for i in cpu] == [1_700_000_010, 1_700_000_020]
    assert [run.history.runtime[i] for i in cpu] == [10.0, 20.0]
    assert run.state == "running/killed"
    assert run.created_at == datetime(2023, 11, 14, 22, 13, 20)


def test_summary_updates_later_wins_and_removals(tmp_path):
    run = _parse(tmp_path, [
        record(run=_run()),
        record(summary=summary(a="1", b='"x"', **{"val|auc": "0.5", "val|f1": "0.1"})),
        record(summary=summary(a="2", **{"val|auc": "0.7"})),
        record(summary=summary(remove=("b", "val|f1"))),
        record(summary=summary(**{"_wandb|runtime": "3"})),
        record(summary=summary(c="[1, 2]")),
        record(summary=summary(c="{}")),
    ])
    assert run.summary == {"a": 2, "val.auc": 0.7, "c": {}}


def test_a_plain_key_replaces_a_nested_one_and_back(tmp_path):
    run = _parse(tmp_path, [
        record(run=_run()),
        record(config=lambda c: c.update.add(key="model", value_json='{"depth": 3, "act": "relu"}')),
        record(summary=summary(**{"m|x": "1", "m|y": "2"})),
        record(summary=summary(m="5")),
        record(summary=summary(k="1")),
        record(summary=summary(**{"k|z": "9"})),
    ])
    assert run.summary == {"m": 5, "k.z": 9}
    assert run.config == {"model.depth": 3, "model.act": "relu"}


def test_history_nested_keys_and_a_table_reference_split_into_parts(tmp_path):
    run = _parse(tmp_path, [
        record(run=_run()),
        record(history=_history(0, **{"val|auc": "0.9", "train/loss": "1.5", "preds|_type": '"table-file"',
                                       "preds|path": '"media/table/preds_0_ab12.table.json"'})),
    ])
    assert series(run.history, "val.auc") == [(0, 0.9, None)]
    assert series(run.history, "train/loss") == [(0, 1.5, None)]
    [(_, _, text)] = series(run.history, "preds")
    assert json.loads(text) == {"_type": "table-file", "path": "media/table/preds_0_ab12.table.json"}


def test_typed_history_values_without_value_json(tmp_path):
    def build(history: pb.HistoryRecord) -> None:
        history.item.add(key="a", number=2.5)
        history.item.add(key="b", text="hi")
        history.item.add(key="c", boolean=True)
        history.item.add(key="_step", integer=3)

    run = _parse(tmp_path, [record(run=_run()), record(history=build)])
    assert [(run.history.key[i], run.history.step[i], run.history.value_num[i], run.history.value_text[i])
            for i in range(len(run.history))] == [("a", 3, 2.5, None), ("b", 3, None, "hi"), ("c", 3, None, "true")]


def test_steps_fall_back_to_the_record_step_then_count_on(tmp_path):
    def no_step_item(num: int | None):
        def build(history: pb.HistoryRecord) -> None:
            history.item.add(key="x", value_json="1")
            if num is not None:
                history.step.num = num

        return build

    run = _parse(tmp_path, [record(history=no_step_item(7)), record(history=no_step_item(None))])
    assert [step for step, _, _ in series(run.history, "x")] == [7, 8]


def test_invalid_json_values_are_kept_as_text_with_a_warning(tmp_path):
    run = _parse(tmp_path, [record(run=_run()), record(history=_history(0, good="1", bad="{oops"))])
    assert series(run.history, "good") == [(0, 1.0, None)]
    assert series(run.history, "bad") == [(0, None, "{oops")]
    assert run.warnings == ["value '{oops' is not valid JSON: kept as text"]


def test_a_record_that_is_not_a_record_is_skipped(tmp_path):
    run = _parse(tmp_path, [record(run=_run()), b"\xff\xff\xff", record(exit=lambda e: setattr(e, "exit_code", 0))])
    assert run.state == "finished"
    assert run.warnings == ["a record of 3 bytes is not a valid W&B Record: skipped"]


def test_without_a_run_record_the_id_comes_from_the_file_name(tmp_path):
    assert _parse(tmp_path, [record(history=_history(0, a="1"))], name="run-zz9.wandb").run_id == "zz9"
    with pytest.raises(WandbLogError, match="holds no run record"):
        _parse(tmp_path, [record(history=_history(0, a="1"))], name="something.wandb")


def test_not_a_wandb_log_raises(tmp_path):
    for name, content in (("run-empty.wandb", b""), ("run-noise.wandb", bytes(range(256)) * 8)):
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(WandbLogError) as caught:
            parse_run_file(path)
        assert str(caught.value).startswith(f"{path}: ")
        assert isinstance(caught.value, ValueError)


# --- run folders


def _folder(tmp_path: Path, records: list[bytes], files: dict[str, str]) -> Path:
    folder = tmp_path / "run-20240101_000000-abc123"
    (folder / "files").mkdir(parents=True)
    (folder / "run-abc123.wandb").write_bytes(encode_log(records))
    for name, text in files.items():
        (folder / "files" / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / "files" / name).write_text(text)
    return folder


def test_side_files_fill_in_and_the_log_wins(tmp_path):
    def config(c: pb.ConfigRecord) -> None:
        c.update.add(key="lr", value_json="0.1")

    folder = _folder(tmp_path, [record(run=_run()), record(config=config), record(summary=summary(acc="0.5"))], {
        "config.yaml": "lr:\n  value: 0.5\nepochs:\n  desc: null\n  value: 3\nmin_lr:\n  value: 6e-05\n"
                       "_wandb:\n  value: {cli_version: x}\n",
        "wandb-summary.json": '{"acc": 0.75, "extra": NaN, "_wandb": {"runtime": 3}}',
        "wandb-metadata.json": json.dumps({"program": "train.py", "host": "box", "startedAt": "2024-01-01T00:00:00Z",
                                           "git": {"commit": "abc", "remote": "https://example.org/r.git"}}),
    })
    run = parse_run_folder(folder)
    assert run.config == {"lr": 0.1, "epochs": 3, "min_lr": 6e-05}
    assert run.summary["acc"] == 0.75 and math.isnan(run.summary["extra"])
    assert (run.program, run.host, run.git_commit, run.git_remote) == ("train.py", "box", "abc",
                                                                       "https://example.org/r.git")
    assert run.created_at == datetime(2023, 11, 14, 22, 13, 20)  # from the log, not startedAt


def test_tables_without_a_history_row_are_named_by_their_file(tmp_path):
    folder = _folder(tmp_path, [record(run=_run())], {
        "media/table/my_preds_12_0123abcd.table.json": '{"columns": ["a"], "data": [[1], [2]]}',
        "media/table/eval/top_3_ff00.table.json": '{"columns": ["b"], "data": []}',
        "media/table/notes.table.json": '{"columns": ["c"], "data": []}',
        "media/table/broken_1_aa.table.json": "{not json",
    })
    run = parse_run_folder(folder)
    assert sorted((t.key, t.step, t.columns, len(t.rows)) for t in run.tables) == [
        ("eval/top", 3, ["b"], 0), ("my_preds", 12, ["a"], 2)]
    assert len(run.warnings) == 2
    assert any(w.startswith("broken_1_aa.table.json skipped:") for w in run.warnings)
    assert "media/table/notes.table.json skipped: the logged key cannot be told from its name" in run.warnings


def test_unreadable_side_files_are_skipped_with_a_warning(tmp_path):
    folder = _folder(tmp_path, [record(run=_run())], {"config.yaml": "a: [", "wandb-summary.json": "[1, 2]"})
    run = parse_run_folder(folder)
    assert run.config == {} and run.summary == {}
    assert run.warnings[0].startswith("config.yaml skipped: ")
    assert run.warnings[1] == "wandb-summary.json skipped: it does not hold a mapping"


def test_folder_without_a_log_raises(tmp_path):
    with pytest.raises(WandbLogError, match="holds no run-\\*.wandb log"):
        parse_run_folder(tmp_path)
