"""Sprintboard's backlog as CSV tables, and a Jira CSV export meeting a backlog file about the same sprint."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

import pytest

from sprintboard.ingest.backlog_csv import backlog_csv_table, looks_like_backlog_csv, parse_backlog_csv
from sprintboard.ingest.backlog_yaml import parse_backlog_yaml
from sprintboard.ingest.jira_csv import parse_jira_csv
from sprintboard.ingest.loader import load_backlog
from sprintboard.store import InputError

REPO = Path(__file__).resolve().parents[2]
REAL_JIRA_CSV = REPO / "tests" / "fixtures" / "jira" / "harshal-08__Jira-Sprint-1__Jira.csv"

SPRINTS = """id,name,goal,start,end,team,state
V1,Vision 1,Try a bigger backbone,2026-03-02,2026-03-13,Vision,closed
,Vision 2,,2026-03-16,2026-03-27,,active
"""

ITEMS = """id,title,type,status,sprint,points,timebox_hours,assignee,created,resolved,labels
V-1,Bigger backbone beats ResNet-18,hypothesis,Test Hypothesis,V1,,24,Jonas Weber,2026-03-02T09:00,,"vision, backbone"
V-2,Data loader caching,,Done,V1,3,,,2026-03-02T09:30+02:00,2026-03-05,
V-3,Label noise audit,spike,To Do,,0.5,,,,,
"""

EVENTS = """item,at,field,from,to,author
V-2,2026-03-03T10:15,status,To Do,In Progress,Amira Haddad
V-2,2026-03-04T09:00+02:00,points,2,3,
V-3,2026-03-16T08:00,,Backlog,To Do,
"""


def _write(tmp_path: Path, text: str, name: str = "table.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_header_tells_the_table():
    assert backlog_csv_table(SPRINTS.splitlines()[0].split(",")) == "sprints"
    assert backlog_csv_table(ITEMS.splitlines()[0].split(",")) == "items"
    assert backlog_csv_table(EVENTS.splitlines()[0].split(",")) == "events"
    assert backlog_csv_table(["name", "start"]) == "sprints"
    assert not looks_like_backlog_csv(["name", "value"])  # "name" alone says nothing
    assert not looks_like_backlog_csv(["Name", "State", "Created", "Runtime"])  # a W&B runs table
    assert not looks_like_backlog_csv(["Summary", "Issue key", "Status"])  # a Jira export


def test_a_sprints_table(tmp_path):
    backlog = parse_backlog_csv(_write(tmp_path, SPRINTS))
    first, second = backlog.sprints
    assert (first.sprint_id, first.name, first.goal, first.team, first.state) == (
        "V1", "Vision 1", "Try a bigger backbone", "Vision", "closed")
    assert (first.start_date, first.end_date) == (date(2026, 3, 2), date(2026, 3, 13))
    assert (second.sprint_id, second.goal, second.team) == ("Vision 2", None, None)  # the id defaults to the name
    assert backlog.items == [] and backlog.events == []


def test_an_items_table(tmp_path):
    hypothesis, story, spike = parse_backlog_csv(_write(tmp_path, ITEMS)).items
    assert (hypothesis.item_type, hypothesis.status, hypothesis.sprint_id) == ("hypothesis", "Test Hypothesis", "V1")
    assert (hypothesis.points, hypothesis.timebox_hours, hypothesis.assignee) == (None, 24, "Jonas Weber")
    assert hypothesis.labels == ["vision", "backbone"] and hypothesis.created_at == datetime(2026, 3, 2, 9, 0)
    assert story.item_type == "story" and story.points == 3  # an empty type is the default, story
    assert story.created_at == datetime(2026, 3, 2, 7, 30)  # +02:00 converted to UTC
    assert story.resolved_at == datetime(2026, 3, 5) and story.labels == []
    assert (spike.item_type, spike.sprint_id, spike.points, spike.created_at) == ("spike", None, 0.5, None)


def test_an_events_table(tmp_path):
    status, points, defaulted = parse_backlog_csv(_write(tmp_path, EVENTS)).events
    assert (status.item_id, status.occurred_at, status.field, status.from_value, status.to_value, status.author) == (
        "V-2", datetime(2026, 3, 3, 10, 15), "status", "To Do", "In Progress", "Amira Haddad")
    assert (points.occurred_at, points.field, points.from_value, points.to_value, points.author) == (
        datetime(2026, 3, 4, 7, 0), "points", "2", "3", None)
    assert defaulted.field == "status"


@pytest.mark.parametrize(
    ("table", "change", "message"),
    [
        (ITEMS, (",spike,", ",epic,"), "row 4, column 'type': 'epic' is not one of story, hypothesis"),
        (ITEMS, (",3,,,", ",lots,,,"), "row 3, column 'points': must be a number, got 'lots'"),
        (ITEMS, (",0.5,", ",-0.5,"), "row 4, column 'points': must not be negative, got -0.5"),
        (ITEMS, ("V-3,Label", "V-1,Label"), "item id 'V-1' appears twice"),
        (ITEMS, (",2026-03-05,", ",5 March,"), "row 3, column 'resolved': must be a date-time"),
        (ITEMS, ("V-3,Label noise audit", "V-3,"), "row 4, column 'title': is required"),
        (SPRINTS, ("2026-03-02,", "next monday,"), "row 2, column 'start': must be a date like 2026-09-14"),
        (SPRINTS, ("2026-03-13", "2026-03-01"), "row 2, column 'end': 2026-03-01 is before the start"),
        (SPRINTS, (",Vision 2,", ",,"), "row 3, column 'name': is required"),
        (SPRINTS, ("V1,Vision 1", "Vision 2,Vision 1"), "sprint id 'Vision 2' appears twice"),
        (SPRINTS, ("state\n", "stat\n"), "column 'stat' is not a column of the sprints table"),
        (EVENTS, ("V-2,2026-03-03T10:15", "V-2,"), "row 2, column 'at': is required"),
        (EVENTS, (",status,To Do", ",colour,To Do"), "row 2, column 'field': 'colour' is not one of"),
        (EVENTS, (",Backlog,To Do,\n", ",Backlog,To Do\n"), "row 4 has 5 cells, the header 6"),
        (EVENTS, ("item,at,field", "item,at,at"), "column 'at' appears more than once"),
    ],
)
def test_errors_name_the_row_and_column(tmp_path, table, change, message):
    old, new = change
    assert old in table
    with pytest.raises(InputError, match=message):
        parse_backlog_csv(_write(tmp_path, table.replace(old, new, 1)))


def test_what_is_not_a_backlog_table(tmp_path):
    with pytest.raises(InputError, match="is not a backlog table"):
        parse_backlog_csv(_write(tmp_path, "name,value\nlr,0.1\n"))
    with pytest.raises(InputError, match="is not valid CSV at row 2"):
        parse_backlog_csv(_write(tmp_path, 'id,title\n"V-1,x\n'))
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + ITEMS.replace("\n", "\r\n").encode())
    assert [item.item_id for item in parse_backlog_csv(bom).items] == ["V-1", "V-2", "V-3"]


def test_the_examples_in_the_docs_parse(tmp_path):
    text = (REPO / "docs" / "backlog-format.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```csv\n(.*?)```", text, flags=re.DOTALL)
    assert len(blocks) == 3
    tables = [parse_backlog_csv(_write(tmp_path, block, f"doc{index}.csv")) for index, block in enumerate(blocks)]
    assert [s.sprint_id for s in tables[0].sprints] == ["S1", "S2"]
    assert tables[1].items[1].labels == ["data", "performance"] and tables[1].items[0].timebox_hours == 24
    assert [e.field for e in tables[2].events] == ["status", "sprint"]


# A Jira CSV export knows its sprint only by name; a backlog file gives the same sprint its dates.
BACKLOG_YAML = """
sprints:
  - id: RETAIL Sprint 1
    name: RETAIL Sprint 1
    goal: Reviews and Add Reviews
    start: 2021-09-02
    end: 2021-09-09
    state: closed
"""
BACKLOG_SPRINTS_CSV = """id,name,goal,start,end,team,state
RETAIL Sprint 1,RETAIL Sprint 1,Reviews and Add Reviews,2021-09-02,2021-09-09,Retail QA,closed
"""


def _sprint_row(con):
    return con.execute("SELECT name, goal, start_date, end_date, state, source_path FROM sprints").fetchall()


@pytest.mark.parametrize("backlog_kind", ["yaml", "csv"])
@pytest.mark.parametrize("jira_first", [True, False])
def test_sprint_dates_survive_a_jira_export_loaded_before_or_after(con, tmp_path, backlog_kind, jira_first):
    if backlog_kind == "yaml":
        backlog_path = _write(tmp_path, BACKLOG_YAML, "backlog.yaml")
        backlog = parse_backlog_yaml(backlog_path)
    else:
        backlog_path = _write(tmp_path, BACKLOG_SPRINTS_CSV, "sprints.csv")
        backlog = parse_backlog_csv(backlog_path)
    jira = parse_jira_csv(REAL_JIRA_CSV)
    loads = [(jira, str(REAL_JIRA_CSV)), (backlog, str(backlog_path))]
    for parsed, source in loads if jira_first else loads[::-1]:
        load_backlog(con, parsed, source)
    ((name, goal, start, end, state, source),) = _sprint_row(con)
    assert (name, goal, start, end, state) == (
        "RETAIL Sprint 1", "Reviews and Add Reviews", date(2021, 9, 2), date(2021, 9, 9), "closed")
    assert source == (str(backlog_path) if jira_first else str(REAL_JIRA_CSV))  # the last source loaded
    in_sprint = con.execute("SELECT count(*) FROM work_items WHERE sprint_id = 'RETAIL Sprint 1'").fetchone()
    assert in_sprint == (76,)


def test_a_value_a_source_does_give_replaces_the_stored_one(con, tmp_path):
    load_backlog(con, parse_backlog_csv(_write(tmp_path, BACKLOG_SPRINTS_CSV)), "first.csv")
    moved = BACKLOG_SPRINTS_CSV.replace("2021-09-09,Retail QA,closed", "2021-09-10,,active")
    load_backlog(con, parse_backlog_csv(_write(tmp_path, moved)), "second.csv")
    row = con.execute("SELECT end_date, team, state FROM sprints").fetchone()
    assert row == (date(2021, 9, 10), "Retail QA", "active")
