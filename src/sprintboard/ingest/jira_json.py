"""Jira issues as the REST API returns them: a search result (``/rest/api/2|3/search``), a board's or sprint's
issues (``/rest/agile/1.0/board/{id}/issue``), a bare list of issues, or a single issue -- with ``expand=changelog``
for the change history and ``expand=names`` for field names, when the export asked for them.

Items (one per issue): ``key``; ``fields.summary`` (the key when the export left it out: a request may ask for
some fields only); ``fields.issuetype.name`` mapped to an item type as
:mod:`sprintboard.ingest.jira_settings` documents; ``fields.status.name``; story points from the points field;
``fields.timeoriginalestimate`` (seconds) as ``timebox_hours``; ``fields.assignee.displayName``;
``fields.created`` and ``fields.resolutiondate``; ``fields.labels``.

Sprints come from the sprint field (found as :mod:`sprintboard.ingest.jira_fields` describes), one per sprint id
over all issues: id (Jira's number, as text), name, goal, state (``future``, ``active`` or ``closed``), and
``startDate``/``endDate`` as dates -- the day each moment falls on in UTC, so that the sprint's days (00:00 of the
first to 24:00 of the last, in UTC) hold the whole sprint. An issue is *now* in the active sprint it is in (the
latest started, if several), else in its next future sprint (the earliest starting), else in its last closed one
(the latest completed, ended or started): Jira lists an issue's sprints in no reliable order.

Events come from the changelog (``changelog.histories[].items[]``), at each history's ``created``:

* ``status`` -> ``status`` events, ``fromString`` to ``toString``;
* ``Sprint`` -> ``sprint`` events listing, comma-separated, every sprint the issue is in before / after (as Jira
  keeps them); each sprint is given by the id of a sprint this document holds, else by its name;
* the story-points field (by ``fieldId``, or by the name ``Story Points``, ``Story point estimate`` or the
  detected field's display name) -> ``points`` events;
* ``timeoriginalestimate`` (seconds) -> ``timebox_hours`` events, in hours;
* and one ``created`` event at the issue's creation, by its creator (else its reporter).

Other changes (summary, priority, ...) are not events Sprintboard tracks. An issue without a ``changelog`` gives no
events: its creation is known from ``created_at``, and a document without history does not replace the history
another document gave. Jira returns at most 100 histories per issue with ``expand=changelog``; a longer history
is cut short by Jira itself, and replays from it are exact only from its first recorded change on.

Timestamps (``2015-12-02T07:39:15.000-0800``) are converted by their offset to naive UTC; one without an offset is
read in ``JiraSettings.timezone``. A document is refused whole (:class:`InputError` naming the issue and field, as
``issues[3] (PLL-12).fields.created: ...``) for a missing key, a timestamp or number that cannot be
read, a negative estimate, an issue key twice, or a settings field that no issue has.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sprintboard.ingest.backlog_yaml import check_ids_unique
from sprintboard.ingest.jira_fields import FieldError, JiraFields, detect_fields, issue_fields, sprint_objects
from sprintboard.ingest.jira_settings import JiraSettings, hypothesis_cards, item_type_for, naive_utc
from sprintboard.ingest.parsed import ParsedBacklog, ParsedEvent, ParsedItem, ParsedSprint
from sprintboard.store.errors import InputError

_SPRINT_STATES = ("future", "active", "closed")


def looks_like_jira_json(document: Any) -> bool:
    """Jira issues: a mapping with an ``issues`` list, a bare non-empty list, or a single issue -- where every issue
    is a mapping with ``key`` and a ``fields`` mapping. An empty ``issues`` list counts only beside Jira's paging
    keys (``startAt``, ``maxResults``, ``total``)."""
    if isinstance(document, dict) and isinstance(document.get("issues"), list):
        issues = document["issues"]
        return all(_is_issue(issue) for issue in issues) and (bool(issues) or "startAt" in document
                                                             or "total" in document or "maxResults" in document)
    if isinstance(document, list):
        return bool(document) and all(_is_issue(issue) for issue in document)
    return _is_issue(document)


def _is_issue(value: Any) -> bool:
    return isinstance(value, dict) and "key" in value and isinstance(value.get("fields"), dict)


def jira_issues(document: Any) -> list[dict]:
    """The issues of a document :func:`looks_like_jira_json` accepts."""
    if isinstance(document, dict) and isinstance(document.get("issues"), list):
        return document["issues"]
    return document if isinstance(document, list) else [document]


def detect_jira_fields(document: Any, settings: JiraSettings | None = None) -> JiraFields:
    """The sprint and story-points fields the parser will read (to report them, or to check a setting); raises
    :class:`~sprintboard.ingest.jira_fields.FieldError` for a settings field no issue has."""
    names = document.get("names") if isinstance(document, dict) else None
    return detect_fields(jira_issues(document), names if isinstance(names, dict) else {}, settings or JiraSettings())


def read_jira_json(path: Path, settings: JiraSettings | None = None) -> ParsedBacklog:
    """Read and parse a Jira JSON file (UTF-8); refuses a file that is not JSON or not Jira issues."""
    try:
        document = json.loads(path.read_bytes().decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise InputError(path, f"is not UTF-8 text (byte {exc.start})") from None
    except (ValueError, RecursionError) as exc:
        raise InputError(path, f"is not valid JSON ({exc})") from None
    if not looks_like_jira_json(document):
        raise InputError(path, "is not Jira issues (expected an 'issues' list of issues with 'key' and 'fields')")
    return parse_jira_json(path, document, settings)


def parse_jira_json(path: Path, document: Any, settings: JiraSettings | None = None) -> ParsedBacklog:
    """Parse a document :func:`looks_like_jira_json` accepts (see the module docstring)."""
    settings = settings or JiraSettings()
    issues = [_Issue(path, index, issue, settings.zone) for index, issue in enumerate(jira_issues(document))]
    try:
        fields = detect_jira_fields(document, settings)
    except FieldError as exc:
        raise InputError(path, str(exc)) from None
    sprints: dict[str, _Sprint] = {}
    issue_sprints = [issue.sprints(fields, sprints) for issue in issues]
    known_ids = set(sprints)
    id_by_name = {sprint.name: sprint.sprint_id for sprint in reversed(sprints.values())}

    backlog = ParsedBacklog(sprints=[sprint.parsed() for sprint in sprints.values()])
    for issue, in_sprints in zip(issues, issue_sprints, strict=True):
        current = _current_sprint(in_sprints)
        backlog.items.append(issue.item(fields, current.sprint_id if current else None))
        backlog.events.extend(issue.events(fields, known_ids, id_by_name))
    backlog.hypotheses = hypothesis_cards(backlog.items)
    check_ids_unique(path, backlog)
    return backlog


@dataclass
class _Sprint:
    sprint_id: str
    name: str
    state: str | None
    goal: str | None
    start: datetime | None
    end: datetime | None
    complete: datetime | None

    def parsed(self) -> ParsedSprint:
        return ParsedSprint(self.sprint_id, self.name, _day(self.start), _day(self.end), self.goal, None, self.state)

    def fill_from(self, other: _Sprint) -> None:
        for name in ("state", "goal", "start", "end", "complete"):
            if getattr(self, name) is None:
                setattr(self, name, getattr(other, name))


def _day(moment: datetime | None) -> date | None:
    return moment.date() if moment else None


def _current_sprint(in_sprints: list[_Sprint]) -> _Sprint | None:
    """The sprint an issue is in now (the rule is in the module docstring)."""
    listed = list(enumerate(in_sprints))
    active = [(index, s) for index, s in listed if s.state == "active"]
    if active:
        return max(active, key=lambda pair: (pair[1].start or datetime.min, pair[0]))[1]
    future = [(index, s) for index, s in listed if s.state == "future"]
    if future:
        return min(future, key=lambda pair: (pair[1].start or datetime.max, pair[0]))[1]
    if listed:
        return max(listed, key=lambda pair: (pair[1].complete or pair[1].end or pair[1].start or datetime.min,
                                              pair[0]))[1]
    return None


class _Issue:
    """One issue of the document, read with errors naming it (``issues[3] (PLL-12).fields.created``)."""

    def __init__(self, path: Path, index: int, raw: Any, zone: ZoneInfo) -> None:
        self.path, self.zone, self.raw = path, zone, raw
        if not _is_issue(raw):
            raise InputError(path, f"issues[{index}] is not an issue (a mapping with 'key' and 'fields')")
        key = raw.get("key")
        if not isinstance(key, str) or not key.strip():
            raise InputError(path, f"issues[{index}].key: must be the issue key, got {key!r}")
        self.key = key.strip()
        self.where = f"issues[{index}] ({self.key})"
        self.fields = issue_fields(raw)

    def fail(self, where: str, problem: str) -> InputError:
        return InputError(self.path, f"{self.where}.{where}: {problem}")

    def moment(self, value: Any, where: str) -> datetime | None:
        if value is None or value == "":
            return None
        try:
            return naive_utc(datetime.fromisoformat(str(value).strip()), self.zone)
        except ValueError:
            raise self.fail(where, f"must be a date-time like 2015-12-02T07:39:15.000-0800, got {value!r}") from None

    def estimate(self, value: Any, where: str) -> float | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(where, f"must be a number, got {value!r}")
        if value < 0:
            raise self.fail(where, f"must not be negative, got {value!r}")
        return float(value)

    def sprints(self, fields: JiraFields, known: dict[str, _Sprint]) -> list[_Sprint]:
        """The issue's sprints, each also recorded in (or completing) ``known`` by id."""
        found: list[_Sprint] = []
        for field_id in fields.sprint_fields:
            objects = sprint_objects(self.fields.get(field_id))
            if objects is None:
                raise self.fail(f"fields.{field_id}", "does not hold sprints (mappings with 'name' and 'state')")
            for position, raw in enumerate(objects):
                sprint = self._sprint(raw, f"fields.{field_id}[{position}]")
                if sprint.sprint_id in {seen.sprint_id for seen in found}:
                    continue
                if sprint.sprint_id in known:
                    known[sprint.sprint_id].fill_from(sprint)
                else:
                    known[sprint.sprint_id] = sprint
                found.append(known[sprint.sprint_id])
        return found

    def _sprint(self, raw: dict, where: str) -> _Sprint:
        name = str(raw.get("name") or "").strip()
        if not name:
            raise self.fail(f"{where}.name", "is required")
        state = str(raw.get("state") or "").strip().lower() or None
        if state is not None and state not in _SPRINT_STATES:
            raise self.fail(f"{where}.state", f"{state!r} is not one of {', '.join(_SPRINT_STATES)}")
        sprint_id = raw.get("id")
        return _Sprint(
            sprint_id=str(sprint_id).strip() if sprint_id not in (None, "") else name,
            name=name,
            state=state,
            goal=str(raw.get("goal") or "").strip() or None,
            start=self.moment(raw.get("startDate"), f"{where}.startDate"),
            end=self.moment(raw.get("endDate"), f"{where}.endDate"),
            complete=self.moment(raw.get("completeDate"), f"{where}.completeDate"),
        )

    def item(self, fields: JiraFields, sprint_id: str | None) -> ParsedItem:
        summary = self.fields.get("summary")
        if summary is not None and not isinstance(summary, str):
            raise self.fail("fields.summary", f"must be text, got {summary!r}")
        seconds = self.estimate(self.fields.get("timeoriginalestimate"), "fields.timeoriginalestimate")
        labels = self.fields.get("labels") or []
        if not isinstance(labels, list):
            raise self.fail("fields.labels", "must be a list")
        points_field = fields.points_field
        return ParsedItem(
            item_id=self.key,
            title=(summary or "").strip() or self.key,
            item_type=item_type_for(_name(self.fields.get("issuetype"))),
            status=_name(self.fields.get("status")),
            points=self.estimate(self.fields.get(points_field), f"fields.{points_field}") if points_field else None,
            timebox_hours=None if seconds is None else seconds / 3600,
            sprint_id=sprint_id,
            assignee=_person(self.fields.get("assignee")),
            created_at=self.moment(self.fields.get("created"), "fields.created"),
            resolved_at=self.moment(self.fields.get("resolutiondate"), "fields.resolutiondate"),
            labels=[str(label) for label in labels],
        )

    def events(self, fields: JiraFields, known_ids: set[str], id_by_name: dict[str, str]) -> list[ParsedEvent]:
        changelog = self.raw.get("changelog")
        if not isinstance(changelog, dict):
            return []
        histories = changelog.get("histories") or []
        if not isinstance(histories, list):
            raise self.fail("changelog.histories", "must be a list")
        events = []
        created = self.moment(self.fields.get("created"), "fields.created")
        if created is not None:
            author = _person(self.fields.get("creator")) or _person(self.fields.get("reporter"))
            events.append(ParsedEvent(self.key, created, "created", None, None, author))
        for h_index, history in enumerate(histories):
            where = f"changelog.histories[{h_index}]"
            if not isinstance(history, dict):
                raise self.fail(where, "must be a mapping")
            at = self.moment(history.get("created"), f"{where}.created")
            if at is None:
                raise self.fail(f"{where}.created", "is required")
            author = _person(history.get("author"))
            for i_index, change in enumerate(history.get("items") or []):
                if not isinstance(change, dict):
                    raise self.fail(f"{where}.items[{i_index}]", "must be a mapping")
                event = _event(change, fields, known_ids, id_by_name)
                if event is not None:
                    events.append(ParsedEvent(self.key, at, *event, author))
        return events


def _event(change: dict, fields: JiraFields, known_ids: set[str],
           id_by_name: dict[str, str]) -> tuple[str, str | None, str | None] | None:
    """``(field, from, to)`` of one changelog item Sprintboard tracks, ``None`` for any other change."""
    name = str(change.get("field") or "").strip().lower()
    field_id = change.get("fieldId")
    before, after = _text(change.get("fromString")), _text(change.get("toString"))
    if name == "status" or field_id == "status":
        return "status", before, after
    if name == "sprint" or (field_id is not None and field_id in fields.sprint_fields):
        return ("sprint", _sprint_list(change.get("from"), before, known_ids, id_by_name),
                _sprint_list(change.get("to"), after, known_ids, id_by_name))
    if name == "timeoriginalestimate" or field_id == "timeoriginalestimate":
        return "timebox_hours", _hours(_text(change.get("from")) or before), _hours(_text(change.get("to")) or after)
    if field_id is not None and str(field_id).startswith("customfield_"):
        is_points = field_id == fields.points_field
    else:
        is_points = name in fields.points_names
    return ("points", before, after) if is_points else None


def _sprint_list(ids_text: Any, names_text: str | None, known_ids: set[str],
                 id_by_name: dict[str, str]) -> str | None:
    """Jira's comma-separated sprint ids and names of one side of a change, as ids of known sprints, else names."""
    ids = _split(_text(ids_text))
    names = _split(names_text)
    if len(ids) == len(names):
        parts = [sprint_id if sprint_id in known_ids else id_by_name.get(name, name)
                 for sprint_id, name in zip(ids, names, strict=True)]
    elif ids and all(sprint_id in known_ids for sprint_id in ids):
        parts = ids
    else:
        return names_text  # a sprint name with a comma in it: kept as Jira wrote it
    return ", ".join(parts) or None


def _split(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def _hours(seconds: str | None) -> str | None:
    if seconds is None:
        return None
    try:
        hours = float(seconds) / 3600
    except ValueError:
        return seconds
    return str(int(hours)) if hours.is_integer() else repr(hours)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _name(value: Any) -> str | None:
    return _text(value.get("name")) if isinstance(value, dict) else None


def _person(value: Any) -> str | None:
    if not isinstance(value, dict):
        return None
    return _text(value.get("displayName")) or _text(value.get("name"))
