"""What the two Jira readers (CSV export, REST JSON) share: the user's settings, the issue-type mapping, and how a
Jira timestamp becomes the store's naive UTC.

Issue types map to Sprintboard's item types by name, ignoring case and surrounding blanks:

=====================================  ===========
Jira issue type                        item type
=====================================  ===========
Story                                  story
Bug                                    bug
Task, Sub-task, Subtask                task
Spike                                  spike
Hypothesis                             hypothesis
anything else (Epic, Test, Incident)   task
=====================================  ===========

The Jira type name itself is not kept (an item's ``labels`` stay Jira's labels).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sprintboard.ingest import parsed
from sprintboard.ingest.parsed import ParsedHypothesis, ParsedItem

_ITEM_TYPES = {
    "story": "story",
    "bug": "bug",
    "task": "task",
    "sub-task": "task",
    "subtask": "task",
    "spike": "spike",
    "hypothesis": "hypothesis",
}


@dataclass(frozen=True)
class JiraSettings:
    """What the user tells Sprintboard about a Jira export that the file cannot say itself.

    * ``timezone``: the IANA zone (``Europe/Berlin``) that timestamps *without* an offset are in -- every date in a
      CSV export (Jira writes them in the exporting user's zone and does not say which), and any offset-less
      timestamp in JSON. Timestamps that carry an offset (Jira's JSON always does) are converted by that offset.
      Default ``UTC``. An unknown zone name raises :class:`ValueError` when the settings are made.
    * ``sprint_field``: where an issue's sprints are. In JSON a field id (``customfield_10007``, or the Agile API's
      ``closedSprints``) or, when the document has ``names``, a field's display name; in CSV a column name (default
      ``Sprint``). ``None`` detects it.
    * ``points_field``: where the story points are, named the same way (CSV default: the first non-empty of
      ``Custom field (Story Points)`` and ``Custom field (Story point estimate)``). ``None`` detects it.
    """

    timezone: str = "UTC"
    sprint_field: str | None = None
    points_field: str | None = None

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown timezone {self.timezone!r} (expected an IANA name such as Europe/Berlin)")\
                from None

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def item_type_for(jira_type: str | None) -> str:
    """Sprintboard's item type for a Jira issue type name (see the module docstring); ``None`` gives ``task``."""
    return _ITEM_TYPES.get((jira_type or "").strip().lower(), "task")


def hypothesis_cards(items: list[ParsedItem]) -> list[ParsedHypothesis]:
    """A hypothesis card for every issue of type hypothesis: its summary is the statement. Jira holds no success
    criteria, so the card's verdict says the criteria are missing until a backlog file adds them (same id)."""
    return [ParsedHypothesis(hypothesis_id=item.item_id, statement=item.title, item_id=item.item_id,
                             owner=item.assignee, sprint_id=item.sprint_id, timebox_hours=item.timebox_hours)
            for item in items if item.item_type == "hypothesis"]


def naive_utc(moment: datetime, zone: ZoneInfo) -> datetime:
    """``moment`` as naive UTC: an aware moment by its own offset, a naive one as a wall-clock time in ``zone``.

    A wall-clock time that occurs twice (the hour a daylight-saving change repeats) is taken as the first; one that
    does not occur (the hour skipped) is shifted by the zone's rules, as :mod:`zoneinfo` does.
    """
    return parsed.naive_utc(moment if moment.tzinfo is not None else moment.replace(tzinfo=zone))
