"""Choosing runs by what a review asks about: sprint, W&B group, tag, state and a config value.

Every filter left empty lets all runs through; filters combine with AND, the values within one filter with OR.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd


@dataclass(frozen=True)
class RunFilter:
    sprints: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    states: tuple[str, ...] = ()
    config_values: dict[str, str] = field(default_factory=dict)  # run id -> value of the chosen config key
    wanted_config: tuple[str, ...] = ()

    def apply(self, runs: pd.DataFrame) -> pd.DataFrame:
        """The rows of ``runs`` (as :func:`~sprintboard.store.queries.runs_table` returns them) that pass."""
        keep = pd.Series(True, index=runs.index)
        if self.sprints:
            keep &= runs["sprint_id"].isin(self.sprints)
        if self.groups:
            keep &= runs["group_name"].isin(self.groups)
        if self.states:
            keep &= runs["state"].isin(self.states)
        if self.tags:
            wanted = set(self.tags)
            keep &= runs["tags"].map(lambda tags: bool(wanted.intersection(_tag_list(tags))))
        if self.wanted_config:
            keep &= runs["run_id"].map(self.config_values.get).isin(self.wanted_config)
        return runs[keep]


def _tag_list(tags: object) -> list[str]:
    return [] if tags is None or (isinstance(tags, float) and pd.isna(tags)) else list(tags)


def distinct_tags(runs: pd.DataFrame) -> list[str]:
    """Every tag of ``runs``, alphabetically."""
    return sorted({tag for tags in runs["tags"] for tag in _tag_list(tags)})
