"""Jira REST JSON: a real board's issues, a real search result with its changelog, and changes made to them."""

from __future__ import annotations

import copy
import json
from datetime import date, datetime
from pathlib import Path

import pytest

from sprintboard.ingest.jira_json import (
    detect_jira_fields,
    looks_like_jira_json,
    parse_jira_json,
    read_jira_json,
)
from sprintboard.ingest.jira_settings import JiraSettings
from sprintboard.store import InputError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "jira"
BOARD = FIXTURES / "au-heartbeat__Heartbeat__jira.board.1963.issue.alldone.json"
CHANGELOG = FIXTURES / "andygrunwald__go-jira__issues_in_sprint_with_changelog.json"
GOAL_66 = ("1) Complete Phoenix Dev work and start the E2E test in UAT\n2) Show Apple Pay Payment Sheet and Complete "
           "payment flow for Apple Pay \n3) SA2 - Show the progress and complete some SA2 related cards")


@pytest.fixture(scope="module")
def board() -> dict:
    return json.loads(BOARD.read_text(encoding="utf-8"))


@pytest.fixture
def changelog() -> dict:
    return json.loads(CHANGELOG.read_text(encoding="utf-8"))


def _items(backlog):
    return {item.item_id: item for item in backlog.items}


def test_both_real_files_are_jira_issues(board, changelog):
    assert looks_like_jira_json(board) and looks_like_jira_json(changelog)
    assert looks_like_jira_json(board["issues"]) and looks_like_jira_json(board["issues"][0])
    assert looks_like_jira_json({"startAt": 0, "total": 0, "issues": []})
    assert not looks_like_jira_json({"issues": []})
    assert not looks_like_jira_json({"columns": ["a"], "data": [[1]]})  # a logged table
    assert not looks_like_jira_json([{"_step": 0, "loss": 1.0}])  # a history dump
    assert not looks_like_jira_json({"issues": [{"key": "A-1"}]})  # no fields


def test_the_board_has_22_issues_and_its_fields_are_detected(board):
    fields = detect_jira_fields(board)
    assert fields.sprint_fields == ("customfield_10007",)
    assert fields.points_field == "customfield_10004"
    backlog = parse_jira_json(BOARD, board)
    assert len(backlog.items) == 22
    assert [s.name for s in backlog.sprints] == [
        "Apollo Sprint 66", "Apollo Sprint 65", "Apollo Sprint 63", "Apollo Sprint 64", "Apollo Sprint 67",
        "Apollo Sprint 68"]


def test_a_sprint_with_its_dates_and_goal(board):
    sprints = {s.name: s for s in parse_jira_json(BOARD, board).sprints}
    sprint = sprints["Apollo Sprint 66"]
    # "startDate": "2022-08-29T03:02:01.135Z", "endDate": "2022-09-11T02:02:00.000Z"
    assert (sprint.sprint_id, sprint.state) == ("11606", "closed")
    assert (sprint.start_date, sprint.end_date) == (date(2022, 8, 29), date(2022, 9, 11))
    assert sprint.goal == GOAL_66
    assert sprints["Apollo Sprint 68"].goal is None  # "goal": ""


def test_issues_read_by_hand(board):
    items = _items(parse_jira_json(BOARD, board))
    task = items["PLL-1333"]
    assert task.title == "Phoenix - Fetch token transaction info by using token_transaction_id"
    assert (task.item_type, task.status, task.points, task.assignee) == ("task", "Done", 2, "Brian Ong")
    # "created": "2022-07-26T15:29:47.675+1000", "resolutiondate": "2022-09-07T09:37:26.976+1000"
    assert task.created_at == datetime(2022, 7, 26, 5, 29, 47, 675000)
    assert task.resolved_at == datetime(2022, 9, 6, 23, 37, 26, 976000)
    assert items["PLL-1315"].item_type == "story" and items["PLL-1315"].points == 2.5
    incident = items["PLL-1399"]  # an "FS Incidents" issue without points
    assert (incident.item_type, incident.status, incident.points, incident.resolved_at) == ("task", "Closed", None,
                                                                                          None)
    assert items["PLL-1311"].labels == ["Leave"]
    assert all(item.timebox_hours is None for item in items.values())


def test_an_issue_is_now_in_its_latest_sprint_not_its_last_listed(board):
    items = _items(parse_jira_json(BOARD, board))
    # PLL-1311 lists Apollo Sprint 65, 66, 63, 64: it ended in 66 (11606), the one completed last.
    assert items["PLL-1311"].sprint_id == "11606"
    # PLL-1373 lists 65, 66, 67, 68, 64.
    assert items["PLL-1373"].sprint_id == "11608"
    assert items["PLL-1333"].sprint_id == "11606"


def test_a_board_without_changelog_gives_no_events(board):
    assert parse_jira_json(BOARD, board).events == []


def test_points_are_found_without_a_known_field_id(board):
    renamed = json.loads(json.dumps(board).replace('"customfield_10004"', '"customfield_19999"'))
    assert detect_jira_fields(renamed).points_field == "customfield_19999"
    # customfield_21514 holds 100 or 0 (a checklist's per cent done): never guessed as points.
    without = copy.deepcopy(renamed)
    for issue in without["issues"]:
        issue["fields"].pop("customfield_19999", None)
    assert detect_jira_fields(without).points_field in ("customfield_22228", "customfield_22229")
    for issue in without["issues"]:
        issue["fields"].pop("customfield_22228", None)
        issue["fields"].pop("customfield_22229", None)
    assert detect_jira_fields(without).points_field is None
    assert all(item.points is None for item in parse_jira_json(BOARD, without).items)


def test_names_say_which_field_holds_points(board):
    named = dict(board, names={"customfield_21514": "Story Points", "customfield_10007": "Sprint"})
    assert detect_jira_fields(named).points_field == "customfield_21514"
    assert _items(parse_jira_json(BOARD, named))["PLL-1333"].points == 100


def test_settings_override_the_detected_fields(board):
    settings = JiraSettings(sprint_field="closedSprints", points_field="customfield_21514")
    assert detect_jira_fields(board, settings).sprint_fields == ("closedSprints",)
    backlog = parse_jira_json(BOARD, board, settings)
    assert _items(backlog)["PLL-1333"].points == 100 and _items(backlog)["PLL-1311"].sprint_id == "11606"
    named = dict(board, names={"customfield_10004": "Story Points"})
    assert detect_jira_fields(named, JiraSettings(points_field="story points")).points_field == "customfield_10004"
    with pytest.raises(InputError, match="points_field 'customfield_1' is not a field of any issue"):
        parse_jira_json(BOARD, board, JiraSettings(points_field="customfield_1"))
    with pytest.raises(InputError, match=r"issues\[0\] \(PLL-1333\).fields.customfield_21513: must be a number"):
        parse_jira_json(BOARD, board, JiraSettings(points_field="customfield_21513"))
    # Labels are an empty list (no sprints) until PLL-1311, labelled "Leave".
    with pytest.raises(InputError, match=r"issues\[4\] \(PLL-1311\).fields.labels: does not hold sprints"):
        parse_jira_json(BOARD, board, JiraSettings(sprint_field="labels"))


def test_the_agile_fields_serve_when_there_is_no_sprint_custom_field(board):
    agile_only = copy.deepcopy(board)
    for issue in agile_only["issues"]:
        issue["fields"].pop("customfield_10007")
    assert detect_jira_fields(agile_only).sprint_fields == ("sprint", "closedSprints")
    assert _items(parse_jira_json(BOARD, agile_only))["PLL-1373"].sprint_id == "11608"


def test_jira_server_sprint_text_and_open_sprints(board):
    server = copy.deepcopy(board["issues"][:2])
    server[0]["fields"]["customfield_10007"] = [
        "com.atlassian.greenhopper.service.sprint.Sprint@1b2c[id=11606,rapidViewId=1963,state=CLOSED,"
        "name=Apollo Sprint 66,startDate=2022-08-29T13:02:01.135+10:00,endDate=2022-09-11T12:02:00.000+10:00,"
        "completeDate=2022-09-12T12:14:59.864+10:00,sequence=11606,goal=Apple Pay, and more]",
        "com.atlassian.greenhopper.service.sprint.Sprint@9f[id=11607,rapidViewId=1963,state=ACTIVE,"
        "name=Apollo Sprint 67,startDate=2022-09-12T09:00:00.000+10:00,endDate=<null>,completeDate=<null>,"
        "sequence=11607,goal=]",
    ]
    server[1]["fields"]["customfield_10007"] = [
        {"id": 11608, "name": "Apollo Sprint 68", "state": "future"},
        {"id": 11609, "name": "Apollo Sprint 69", "state": "future", "startDate": "2022-09-26T00:00:00.000Z"},
    ]
    backlog = parse_jira_json(BOARD, server)
    sprints = {s.sprint_id: s for s in backlog.sprints}
    assert (sprints["11606"].state, sprints["11606"].start_date, sprints["11606"].goal) == (
        "closed", date(2022, 8, 29), "Apple Pay, and more")
    assert (sprints["11607"].state, sprints["11607"].end_date, sprints["11607"].goal) == ("active", None, None)
    # The active sprint wins over a closed one; of two future sprints, the one with a start date comes first.
    assert [item.sprint_id for item in backlog.items] == ["11607", "11609"]


def test_the_real_changelog_tracks_no_summary_or_priority_change(changelog):
    backlog = read_jira_json(CHANGELOG)
    (item,) = backlog.items
    assert (item.item_id, item.item_type, item.status, item.points) == ("AR-86", "task", "Ready", 13)
    assert item.title == "AR-86"  # the mock issue has no summary field
    assert detect_jira_fields(changelog).points_field == "customfield_10105"
    assert backlog.sprints == [] and item.sprint_id is None
    # Its two histories change the summary and the priority: only the creation is an event.
    (created,) = backlog.events
    assert (created.field, created.occurred_at) == ("created", datetime(2015, 12, 2, 15, 39, 15))  # 07:39 -0800
    assert item.resolved_at == datetime(2015, 12, 7, 22, 19, 13)


def _with_changes(changelog: dict) -> dict:
    """The real search result with a sprint field and the changes a sprint, status and estimate history holds."""
    document = copy.deepcopy(changelog)
    issue = document["issues"][0]
    issue["fields"]["customfield_10007"] = [
        {"id": 7, "name": "Argon 7", "state": "closed", "startDate": "2015-11-30T17:00:00.000Z",
         "endDate": "2015-12-11T17:00:00.000Z", "completeDate": "2015-12-11T18:00:00.000Z"},
        {"id": 8, "name": "Argon 8", "state": "active", "startDate": "2015-12-14T17:00:00.000Z"},
    ]
    histories = issue["changelog"]["histories"]
    histories[1]["created"] = "2015-12-03T10:00:00.000-0800"
    histories[1]["items"] += [
        {"field": "status", "fieldtype": "jira", "from": "10000", "fromString": "Ready", "to": "3",
         "toString": "In Progress"},
        {"field": "Sprint", "fieldtype": "custom", "from": "", "fromString": "", "to": "7", "toString": "Argon 7"},
        {"field": "Story Points", "fieldtype": "custom", "from": None, "fromString": "8", "to": None,
         "toString": "13"},
        {"field": "Story point estimate", "fieldtype": "custom", "fieldId": "customfield_10016",
         "fromString": "1", "toString": "2"},
        {"field": "timeoriginalestimate", "fieldtype": "jira", "from": None, "fromString": None, "to": "5400",
         "toString": "5400"},
    ]
    histories.append({
        "author": {"displayName": "mister Morris"},
        "created": "2015-12-14T09:05:00.000-0800",
        "items": [{"field": "Sprint", "fieldtype": "custom", "from": "7", "fromString": "Argon 7",
                   "to": "7, 8, 99", "toString": "Argon 7, Argon 8, Old Argon"}],
    })
    return document


def test_changelog_items_become_events_in_utc(changelog):
    backlog = parse_jira_json(CHANGELOG, _with_changes(changelog))
    events = [(e.occurred_at, e.field, e.from_value, e.to_value, e.author) for e in backlog.events]
    at = datetime(2015, 12, 3, 18, 0)  # 10:00 at -0800
    assert events == [
        (datetime(2015, 12, 2, 15, 39, 15), "created", None, None, None),
        (at, "status", "Ready", "In Progress", None),
        (at, "sprint", None, "7", None),
        (at, "points", "8", "13", None),
        (at, "timebox_hours", None, "1.5", None),  # 5400 s; the "Story point estimate" item is another field
        (datetime(2015, 12, 14, 17, 5), "sprint", "7", "7, 8, Old Argon", "mister Morris"),  # 99 is unknown here
    ]
    assert backlog.items[0].sprint_id == "8"


def test_refused_documents_name_the_issue_and_field(changelog):
    broken = copy.deepcopy(changelog)
    broken["issues"][0]["fields"]["created"] = "2nd of December"
    with pytest.raises(InputError, match=r"issues\[0\] \(AR-86\).fields.created: must be a date-time"):
        parse_jira_json(CHANGELOG, broken)
    negative = copy.deepcopy(changelog)
    negative["issues"][0]["fields"]["timeoriginalestimate"] = -60
    with pytest.raises(InputError, match="fields.timeoriginalestimate: must not be negative"):
        parse_jira_json(CHANGELOG, negative)
    twice = dict(changelog, issues=changelog["issues"] * 2)
    with pytest.raises(InputError, match="item id 'AR-86' appears twice"):
        parse_jira_json(CHANGELOG, twice)


def test_reading_a_file(tmp_path):
    not_json = tmp_path / "x.json"
    not_json.write_text("{issues: [", encoding="utf-8")
    with pytest.raises(InputError, match="is not valid JSON"):
        read_jira_json(not_json)
    other = tmp_path / "y.json"
    other.write_text('{"columns": [], "data": []}', encoding="utf-8")
    with pytest.raises(InputError, match="is not Jira issues"):
        read_jira_json(other)
    naive = tmp_path / "z.json"
    naive.write_text(json.dumps([{"key": "A-1", "fields": {"summary": "s", "created": "2026-03-02T09:15:00"}}]),
                     encoding="utf-8")
    (item,) = read_jira_json(naive, JiraSettings(timezone="Europe/Berlin")).items
    assert item.created_at == datetime(2026, 3, 2, 8, 15)


def test_a_json_file_that_only_looks_like_jira_issues_is_refused_with_the_reason(tmp_path, store_path):
    from sprintboard.ingest.driver import ingest_paths

    fake = tmp_path / "settings.json"
    fake.write_text('{"key": "theme", "fields": ["a", "b"]}')
    (outcome,) = ingest_paths(store_path, [fake]).outcomes
    assert (outcome.format, outcome.status) == ("jira-json", "rejected")
    assert outcome.error.startswith("is not Jira issues")
