"""Which fields of a Jira REST JSON document hold the sprints and the story points.

Jira keeps both in custom fields whose ids differ from site to site, so they are found from the data:

* **Sprints** (:func:`sprint_objects` says what a sprint value looks like): a field whose every non-null value is a
  sprint object -- a mapping with ``name`` and ``state`` (and usually ``id``, ``startDate``, ``endDate``, ``goal``)
  -- or a list of them, or the text Jira Server writes for one
  (``com.atlassian.greenhopper.service.sprint.Sprint@1f[id=3,state=CLOSED,name=Sprint 2,startDate=...]``). A field
  that the document's ``names`` (``expand=names``) calls "Sprint" wins; else the custom field holding sprints on the
  most issues; else the Agile API's own ``sprint`` and ``closedSprints`` fields together.
* **Story points**: the field ``names`` calls "Story Points" or "Story point estimate" (the one with values on more
  issues, when both exist). Without ``names``, among the custom fields whose every non-null value is a non-negative
  number: first the ids Jira commonly gives story points (:data:`KNOWN_POINTS_FIELDS`), then any other field whose
  values all look like estimates (at most 40, in steps of a quarter point); among several, the one with values on
  the most issues that are not epics or sub-tasks, then the oldest (lowest id). Outside the common ids, a numeric
  field with a value above 40 (a checklist's per cent done reaches 100) or a fraction such as 0.37 is taken for a
  percentage or a ratio and never guessed -- give it with ``points_field`` if it really holds points.

Either choice can be given instead (``JiraSettings.sprint_field`` / ``points_field``), as a field id or, when the
document has ``names``, a field's display name; a field no issue has is refused.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from sprintboard.ingest.jira_settings import JiraSettings

KNOWN_POINTS_FIELDS = ("customfield_10016", "customfield_10026", "customfield_10002", "customfield_10004",
                       "customfield_10105")
POINTS_NAMES = ("story points", "story point estimate")
AGILE_SPRINT_FIELDS = ("sprint", "closedSprints")
_LARGEST_GUESSED_ESTIMATE = 40
_GREENHOPPER = re.compile(r"^com\.atlassian\.greenhopper\.service\.sprint\.Sprint@\w*\[(?P<body>.*)\]$", re.DOTALL)
_GREENHOPPER_KEY = re.compile(r",(?=[A-Za-z]+=)")
_NOT_STORY_LIKE = frozenset({"epic", "sub-task", "subtask"})


class FieldError(ValueError):
    """A field given in the settings is in no issue."""


@dataclass(frozen=True)
class JiraFields:
    """Where a document's sprints and story points are.

    ``sprint_fields``: the field ids read for an issue's sprints (one custom field, or the Agile API's ``sprint`` and
    ``closedSprints``; empty when there are none). ``points_field``: the story-points field id, or ``None``.
    ``points_names``: what the changelog calls the points field (its display name from ``names`` when known, else
    "Story Points" and "Story point estimate"), lower-case.
    """

    sprint_fields: tuple[str, ...]
    points_field: str | None
    points_names: frozenset[str]


def issue_fields(issue: Any) -> dict:
    """An issue's ``fields`` mapping; empty for anything that is not an issue."""
    fields = issue.get("fields") if isinstance(issue, dict) else None
    return fields if isinstance(fields, dict) else {}


def sprint_objects(value: Any) -> list[dict] | None:
    """A field value as a list of sprint mappings (``[]`` for null or an empty list); ``None`` when the value is not
    sprints. Jira Server's text form is turned into a mapping of its ``key=value`` parts, ``<null>`` as ``None``."""
    if value is None:
        return []
    values = value if isinstance(value, list) else [value]
    sprints = []
    for entry in values:
        if isinstance(entry, dict) and "name" in entry and "state" in entry:
            sprints.append(entry)
        elif isinstance(entry, str) and (match := _GREENHOPPER.match(entry.strip())):
            parts = (part.partition("=") for part in _GREENHOPPER_KEY.split(match["body"]))
            sprints.append({key: (None if text == "<null>" else text) for key, _, text in parts})
        else:
            return None
    return sprints


def detect_fields(issues: list[dict], names: dict[str, str], settings: JiraSettings) -> JiraFields:
    """The sprint and story-points fields of ``issues`` (see the module docstring); raises :class:`FieldError` for
    a field named in ``settings`` that no issue has."""
    present = {key for issue in issues for key in issue_fields(issue)}
    if settings.sprint_field:
        sprint_fields: tuple[str, ...] = (_resolve(settings.sprint_field, present, names, "sprint_field"),)
    else:
        sprint_fields = _detect_sprint_fields(issues, names)
    if settings.points_field:
        points_field = _resolve(settings.points_field, present, names, "points_field")
    else:
        points_field = _detect_points_field(issues, names, present)
    named = names.get(points_field or "")
    points_names = frozenset({named.lower()}) if named else frozenset(POINTS_NAMES)
    return JiraFields(sprint_fields, points_field, points_names)


def _resolve(given: str, present: set[str], names: dict[str, str], setting: str) -> str:
    if given in present:
        return given
    for field_id, name in names.items():
        if str(name).strip().lower() == given.strip().lower() and field_id in present:
            return field_id
    raise FieldError(f"{setting} {given!r} is not a field of any issue")


def _detect_sprint_fields(issues: list[dict], names: dict[str, str]) -> tuple[str, ...]:
    holding: dict[str, int] = {}
    refused: set[str] = set()
    for issue in issues:
        for key, value in issue_fields(issue).items():
            if key in refused:
                continue
            sprints = sprint_objects(value)
            if sprints is None:
                refused.add(key)
                holding.pop(key, None)
            else:
                holding[key] = holding.get(key, 0) + bool(sprints)
    candidates = {key: count for key, count in holding.items() if count}
    custom = {key: count for key, count in candidates.items() if key not in AGILE_SPRINT_FIELDS}
    for key in sorted(custom):
        if str(names.get(key, "")).strip().lower() == "sprint":
            return (key,)
    if custom:
        return (max(custom, key=lambda key: (custom[key], -_field_number(key))),)
    if any(key in candidates for key in AGILE_SPRINT_FIELDS):
        return tuple(key for key in AGILE_SPRINT_FIELDS if key in holding)
    return ()


def _detect_points_field(issues: list[dict], names: dict[str, str], present: set[str]) -> str | None:
    named = [key for key in sorted(present) if str(names.get(key, "")).strip().lower() in POINTS_NAMES]
    if named:
        return max(named, key=lambda key: (_count_numbers(issues, key),
                                           -POINTS_NAMES.index(str(names[key]).strip().lower())))
    values: dict[str, list[Any]] = {}
    story_like: dict[str, int] = {}
    for issue in issues:
        fields = issue_fields(issue)
        issue_type = str((fields.get("issuetype") or {}).get("name", "")).strip().lower()
        for key, value in fields.items():
            if key.startswith("customfield_") and value is not None:
                values.setdefault(key, []).append(value)
                story_like[key] = story_like.get(key, 0) + (issue_type not in _NOT_STORY_LIKE)
    candidates = []
    for key, found in values.items():
        if not all(_is_estimate(value) for value in found):
            continue
        known = key in KNOWN_POINTS_FIELDS
        if not known and not all(_looks_like_points(value) for value in found):
            continue
        rank = (known, story_like[key], len(found),
                -KNOWN_POINTS_FIELDS.index(key) if known else 0, -_field_number(key))
        candidates.append((rank, key))
    return max(candidates)[1] if candidates else None


def _is_estimate(value: Any) -> bool:
    return (isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
            and value >= 0)


def _looks_like_points(value: float) -> bool:
    return value <= _LARGEST_GUESSED_ESTIMATE and float(value * 4).is_integer()


def _count_numbers(issues: list[dict], key: str) -> int:
    return sum(_is_estimate(issue_fields(issue).get(key)) for issue in issues)


def _field_number(key: str) -> int:
    digits = key.rpartition("_")[2]
    return int(digits) if digits.isdigit() else 0
