"""The ingest driver: one transaction per input, idempotent, bad inputs rejected without touching the store."""

from __future__ import annotations

from pathlib import Path

from sprintboard.demo.backlog import write_backlog
from sprintboard.ingest.driver import ingest_paths
from sprintboard.store import read_connection, store_version
from sprintboard.store.queries import table_counts


def _counts(store: Path) -> dict[str, int]:
    with read_connection(store) as con:
        return table_counts(con)


def _log(store: Path) -> list[tuple]:
    with read_connection(store) as con:
        return con.execute("SELECT path, format, status, error FROM ingest_log ORDER BY ingest_id").fetchall()


def test_a_backlog_loads_and_loading_it_again_changes_nothing(tmp_path, store_path):
    backlog = write_backlog(tmp_path / "backlog.yaml")
    first = ingest_paths(store_path, [backlog])
    assert [o.status for o in first.outcomes] == ["loaded"]
    counts = _counts(store_path)
    assert (counts["sprints"], counts["work_items"], counts["hypotheses"]) == (4, 26, 7)
    # sprints, items, hypotheses, two metric goals and the fairness policy besides the events
    assert counts["item_events"] == first.outcomes[0].counts.backlog_rows - 4 - 26 - 7 - 2 - 1

    second = ingest_paths(store_path, [backlog])
    assert [o.status for o in second.outcomes] == ["unchanged"]
    after = _counts(store_path)
    assert {k: v for k, v in after.items() if k != "ingest_log"} == {
        k: v for k, v in counts.items() if k != "ingest_log"}


def test_an_edited_backlog_replaces_what_it_had(tmp_path, store_path):
    backlog = write_backlog(tmp_path / "backlog.yaml")
    ingest_paths(store_path, [backlog])
    backlog.write_text(backlog.read_text().replace("Sprint 1 - Baseline", "Sprint 1 - Baselines"))
    assert [o.status for o in ingest_paths(store_path, [backlog]).outcomes] == ["loaded"]
    with read_connection(store_path) as con:
        names = [r[0] for r in con.execute("SELECT name FROM sprints ORDER BY sprint_id").fetchall()]
        (events,) = con.execute("SELECT count(*) FROM item_events").fetchone()
    assert names[0] == "Sprint 1 - Baselines" and len(names) == 4
    assert events == len([1 for line in backlog.read_text().splitlines() if line.startswith("- item: ")])


def test_a_bad_file_in_a_batch_is_rejected_alone_and_changes_nothing(tmp_path, store_path):
    backlog = write_backlog(tmp_path / "backlog.yaml")
    ingest_paths(store_path, [backlog])
    before = _counts(store_path)
    broken = tmp_path / "broken.yaml"
    broken.write_text(backlog.read_text().replace("type: spike", "type: epic"))
    garbage = tmp_path / "garbage.bin"
    garbage.write_bytes(bytes(range(256)) * 10)
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    other = tmp_path / "other.yaml"
    other.write_text("sprints:\n  - id: X1\n    name: Extra\n")

    report = ingest_paths(store_path, [broken, garbage, empty, tmp_path / "missing.yaml", other])
    outcomes = {Path(o.path).name: o for o in report.outcomes}
    assert outcomes["other.yaml"].status == "loaded"
    assert "items[" in outcomes["broken.yaml"].error and "'epic' is not one of" in outcomes["broken.yaml"].error
    assert "binary" in outcomes["garbage.bin"].error
    assert outcomes["empty.csv"].error == "is empty"
    assert outcomes["missing.yaml"].error == "no such file or folder"

    after = _counts(store_path)
    assert after["sprints"] == before["sprints"] + 1  # only the good file's sprint
    assert after["work_items"] == before["work_items"] and after["item_events"] == before["item_events"]
    statuses = [(Path(p).name, s) for p, _, s, _ in _log(store_path)[-5:]]
    assert sorted(statuses) == sorted([("missing.yaml", "rejected"), ("broken.yaml", "rejected"),
                                       ("garbage.bin", "rejected"), ("empty.csv", "rejected"),
                                       ("other.yaml", "loaded")])


def test_a_batch_of_only_bad_files_leaves_the_data_untouched(tmp_path, store_path):
    backlog = write_backlog(tmp_path / "backlog.yaml")
    ingest_paths(store_path, [backlog])
    with read_connection(store_path) as con:
        items_before = con.execute("SELECT * FROM work_items ORDER BY item_id").fetchall()
    bad = tmp_path / "bad.yaml"
    bad.write_text(backlog.read_text().replace("points: 5", "points: five", 1))
    version = store_version(store_path)
    report = ingest_paths(store_path, [bad])
    assert report.rejected and store_version(store_path) != version  # the rejection is logged ...
    with read_connection(store_path) as con:  # ... and nothing else changed
        assert con.execute("SELECT * FROM work_items ORDER BY item_id").fetchall() == items_before
