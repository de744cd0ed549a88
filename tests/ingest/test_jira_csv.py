"""Jira's CSV export: a real export of a public project, and small hand-written ones for what it does not show."""

from __future__ import annotations

import csv
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest

from sprintboard.ingest.jira_csv import jira_csv_moment, looks_like_jira_csv, parse_jira_csv
from sprintboard.ingest.jira_settings import JiraSettings, item_type_for
from sprintboard.store import InputError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "jira"
REAL_CSV = FIXTURES / "harshal-08__Jira-Sprint-1__Jira.csv"

# Two Sprint columns and two Labels columns, as Jira writes an issue that has been in two sprints.
SYNTHETIC = (
    "Summary,Issue key,Issue Type,Status,Assignee,Creator,Created,Resolved,Sprint,Sprint,Labels,Labels,"
    "Custom field (Story Points),Custom field (Story point estimate),Original estimate\n"
    "Bigger backbone beats ResNet-18,ML-7,Hypothesis,Done,Jonas Weber,Amira Haddad,"
    "02/Mar/26 9:15 AM,13/Mar/26 4:30 PM,Vision 1,Vision 2,vision,backbone,5,,86400\n"
    "Loader caching,ML-8,Sub-task,In Progress,,,02/Mar/2026 14:00,,Vision 2,,,,,2.5,\n"
    "Label noise audit,ML-9,Spike,To Do,,,2026-03-04T08:00,,,,,,,,\n"
)


def _write(tmp_path: Path, text: str, name: str = "jira.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _header(path: Path) -> list[str]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return next(csv.reader(handle))


def test_the_real_export_is_recognised_by_its_header():
    assert looks_like_jira_csv(_header(REAL_CSV))
    assert not looks_like_jira_csv(["Name", "State", "Created", "Runtime"])  # a W&B runs table
    assert not looks_like_jira_csv(["id", "title", "status"])  # a backlog items table


def test_an_export_missing_a_required_column_is_still_taken_for_jira():
    header = _header(REAL_CSV)
    assert looks_like_jira_csv([name for name in header if name != "Issue key"])
    assert looks_like_jira_csv([name for name in header if name not in ("Issue key", "Summary")])
    assert looks_like_jira_csv(["Issue key", "Summary", "Status"])  # "Export CSV (current fields)", few shown
    # Summary and Status alone are common words: a runs table with such config keys is not Jira's
    assert not looks_like_jira_csv(["Name", "State", "Created", "Runtime", "summary", "status"])
    assert not looks_like_jira_csv(["Summary", "Status", "Assignee"])


def test_the_real_export_has_every_issue_in_its_one_sprint():
    header = _header(REAL_CSV)
    assert header.count("Attachment") == 2 and header.count("Outward issue link (Relates)") == 25  # repeated names
    backlog = parse_jira_csv(REAL_CSV)
    assert len(backlog.items) == 76
    (sprint,) = backlog.sprints
    assert (sprint.sprint_id, sprint.name, sprint.start_date, sprint.end_date) == (
        "RETAIL Sprint 1", "RETAIL Sprint 1", None, None)
    assert {item.sprint_id for item in backlog.items} == {"RETAIL Sprint 1"}
    # 59 Test issues and 1 Epic become tasks; Story and Bug keep their kind.
    assert Counter(item.item_type for item in backlog.items) == {"task": 60, "story": 11, "bug": 5}
    assert all(item.points is None and item.timebox_hours is None for item in backlog.items)


def test_a_real_issue_read_by_hand():
    backlog = parse_jira_csv(REAL_CSV)
    items = {item.item_id: item for item in backlog.items}
    bug = items["RETAIL-76"]  # row 2: "08/Sep/21 2:02 PM", not resolved
    assert bug.title == "Admin can not modify date in Date Added field if it is not filled previously"
    assert (bug.item_type, bug.status, bug.assignee) == ("bug", "To Do", "Harshal Daine")
    assert (bug.created_at, bug.resolved_at) == (datetime(2021, 9, 8, 14, 2), None)
    test = items["RETAIL-75"]  # a Test issue: "08/Sep/21 9:36 AM", resolved "08/Sep/21 11:23 AM"
    assert (test.item_type, test.status) == ("task", "Done")
    assert (test.created_at, test.resolved_at) == (datetime(2021, 9, 8, 9, 36), datetime(2021, 9, 8, 11, 23))
    epic = items["RETAIL-1"]
    assert (epic.item_type, epic.status, epic.labels) == ("task", "In Progress", [])


def test_a_csv_has_no_change_history_so_it_yields_no_events():
    assert parse_jira_csv(REAL_CSV).events == []


def test_the_timezone_setting_moves_every_date_to_utc():
    backlog = parse_jira_csv(REAL_CSV, JiraSettings(timezone="Asia/Kolkata"))  # UTC+05:30, no daylight saving
    test = {item.item_id: item for item in backlog.items}["RETAIL-75"]
    assert (test.created_at, test.resolved_at) == (datetime(2021, 9, 8, 4, 6), datetime(2021, 9, 8, 5, 53))


def test_repeated_sprint_and_label_columns_points_and_estimates(tmp_path):
    backlog = parse_jira_csv(_write(tmp_path, SYNTHETIC), JiraSettings(timezone="Europe/Berlin"))
    assert [(s.sprint_id, s.name, s.start_date) for s in backlog.sprints] == [
        ("Vision 1", "Vision 1", None), ("Vision 2", "Vision 2", None)]
    hypothesis, subtask, spike = backlog.items
    assert hypothesis.item_type == "hypothesis" and hypothesis.sprint_id == "Vision 2"  # the last Sprint cell
    assert hypothesis.labels == ["vision", "backbone"]
    assert hypothesis.points == 5 and hypothesis.timebox_hours == 24  # 86400 s
    assert hypothesis.created_at == datetime(2026, 3, 2, 8, 15)  # 09:15 in Berlin (CET, UTC+1)
    assert hypothesis.resolved_at == datetime(2026, 3, 13, 15, 30)
    assert subtask.item_type == "task" and subtask.points == 2.5  # from "Story point estimate"
    assert subtask.sprint_id == "Vision 2" and subtask.assignee is None
    assert subtask.created_at == datetime(2026, 3, 2, 13, 0)
    assert spike.item_type == "spike" and spike.sprint_id is None and spike.created_at == datetime(2026, 3, 4, 7, 0)
    assert backlog.events == []
    (card,) = backlog.hypotheses  # a hypothesis issue becomes a card; its criteria come from a backlog file
    assert (card.hypothesis_id, card.statement, card.sprint_id, card.timebox_hours, card.criteria) == (
        hypothesis.item_id, hypothesis.title, "Vision 2", 24, None)


def test_columns_named_in_the_settings_win(tmp_path):
    text = SYNTHETIC.replace("Original estimate", "Custom field (Sprint)").replace(",86400\n", ",Vision 3\n")
    settings = JiraSettings(points_field="Custom field (Story point estimate)", sprint_field="Custom field (Sprint)")
    hypothesis, subtask, _ = parse_jira_csv(_write(tmp_path, text), settings).items
    assert hypothesis.points is None and subtask.points == 2.5
    assert hypothesis.sprint_id == "Vision 3" and subtask.sprint_id is None
    with pytest.raises(InputError, match="has no column 'Story Size' \\(the points field given\\)"):
        parse_jira_csv(_write(tmp_path, SYNTHETIC), JiraSettings(points_field="Story Size"))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ((",5,,86400", ",five,,86400"), "column 'Custom field \\(Story Points\\)': must be a number, got 'five'"),
        ((",5,,86400", ",-5,,86400"), "row 2, column 'Custom field \\(Story Points\\)': must not be negative"),
        (("02/Mar/26 9:15 AM", "02/Mrz/26 9:15 AM"), "row 2, column 'Created': must be a date like 08/Sep/21"),
        (("13/Mar/26 4:30 PM", "13/Mar/26 14:30 PM"), "row 2, column 'Resolved': must be a date"),
        (("Loader caching,ML-8", "Loader caching,ML-7"), "item id 'ML-7' appears twice"),
        (("Label noise audit,ML-9", ",ML-9"), "row 4, column 'Summary': is empty"),
        (("2026-03-04T08:00,,,,,,,,\n", "2026-03-04T08:00,,,,,,,\n"), "row 4 has 14 cells, the header 15"),
    ],
)
def test_a_file_with_an_error_is_refused_naming_row_and_column(tmp_path, change, message):
    old, new = change
    assert old in SYNTHETIC
    with pytest.raises(InputError, match=message):
        parse_jira_csv(_write(tmp_path, SYNTHETIC.replace(old, new, 1)))


def test_rows_are_counted_as_a_spreadsheet_counts_them(tmp_path):
    # A quoted summary spanning three lines is still one row: the bad date is in row 3, on line 5.
    text = SYNTHETIC.replace("Loader caching", '"Loader\ncaching\nagain"').replace("02/Mar/2026 14:00", "someday")
    with pytest.raises(InputError, match="row 3, column 'Created'"):
        parse_jira_csv(_write(tmp_path, text))


def test_encoding_and_shape_problems(tmp_path):
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + SYNTHETIC.encode())
    assert len(parse_jira_csv(bom).items) == 3
    latin = tmp_path / "latin.csv"
    latin.write_bytes(SYNTHETIC.replace("Jonas Weber", "J\xf6rg").encode("latin-1"))
    with pytest.raises(InputError, match="is not UTF-8 text"):
        parse_jira_csv(latin)
    with pytest.raises(InputError, match="has no column 'Issue key'"):
        parse_jira_csv(_write(tmp_path, "Summary,Status\nx,Done\n"))
    with pytest.raises(InputError, match="has no header line"):
        parse_jira_csv(_write(tmp_path, ""))


@pytest.mark.parametrize(
    ("text", "moment"),
    [
        ("08/Sep/21 2:02 PM", datetime(2021, 9, 8, 14, 2)),
        ("08/Sep/21 12:05 AM", datetime(2021, 9, 8, 0, 5)),
        ("08/Sep/21 12:05 PM", datetime(2021, 9, 8, 12, 5)),
        ("8/sep/2021 14:02", datetime(2021, 9, 8, 14, 2)),
        ("08/Sep/21", datetime(2021, 9, 8)),
        ("2021-09-08T14:02:30", datetime(2021, 9, 8, 14, 2, 30)),
        ("31/Feb/21 1:00 PM", None),
        ("08/Sep/21 13:00 PM", None),
        ("yesterday", None),
    ],
)
def test_jira_dates(text, moment):
    assert jira_csv_moment(text) == moment


def test_issue_types_and_settings():
    assert [item_type_for(name) for name in ("Story", "bug", "Sub-task", "Spike", "Hypothesis", "Epic", None)] == [
        "story", "bug", "task", "spike", "hypothesis", "task", "task"]
    with pytest.raises(ValueError, match="unknown timezone 'Mars/Olympus'"):
        JiraSettings(timezone="Mars/Olympus")
