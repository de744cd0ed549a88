"""Sprintboard's backlog YAML: what it loads, and how it refuses what it cannot understand."""

from __future__ import annotations

import time
from datetime import date, datetime
from pathlib import Path

import pytest

from sprintboard.demo.backlog import write_backlog
from sprintboard.ingest.backlog_yaml import parse_backlog_yaml
from sprintboard.store import InputError

SMALL = """
team: Vision
sprints:
  - id: V1
    name: Vision 1
    goal: Try a bigger backbone
    start: 2026-03-02
    end: 2026-03-13
items:
  - id: V-1
    title: Bigger backbone beats ResNet-18 by 1 point top-1
    type: hypothesis
    timebox_hours: 24
    sprint: V1
    status: Test Hypothesis
    hypothesis:
      statement: We believe ResNet-50 beats ResNet-18 by 1 point top-1.
      criteria: val/top1 >= baseline + 0.01
      aggregation: mean
      baseline: {run: r18-s0}
      runs: [r50-s0, r50-s1]
  - id: V-2
    title: Data loader caching
    points: 3
    sprint: V1
events:
  - {item: V-2, at: "2026-03-03T10:15", field: status, from: To Do, to: In Progress}
  - {item: V-2, at: "2026-03-04T09:00+02:00", field: points, from: "2", to: "3"}
metrics:
  - {key: val/top1, better: higher, baseline: 0.71, target: 0.74, headline: true}
  - {key: val/loss, baseline: -0.5}
fairness:
  table: val/preds
  attributes: [sex, race]
  action: Punitive
  band: [0.9, 1.1]
  min_group_size: 50
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "backlog.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_small_backlog_loads_every_field(tmp_path):
    backlog = parse_backlog_yaml(_write(tmp_path, SMALL))
    (sprint,) = backlog.sprints
    assert (sprint.sprint_id, sprint.name, sprint.team) == ("V1", "Vision 1", "Vision")
    assert (sprint.start_date, sprint.end_date) == (date(2026, 3, 2), date(2026, 3, 13))
    hypothesis_item, story = backlog.items
    assert hypothesis_item.item_type == "hypothesis" and hypothesis_item.timebox_hours == 24
    assert story.item_type == "story" and story.points == 3 and story.status is None
    (hypothesis,) = backlog.hypotheses
    assert hypothesis.hypothesis_id == "V-1" and hypothesis.sprint_id == "V1"
    assert hypothesis.criteria == "val/top1 >= baseline + 0.01" and hypothesis.aggregation == "mean"
    assert hypothesis.baseline_run_id == "r18-s0" and hypothesis.run_ids == ["r50-s0", "r50-s1"]
    first, second = backlog.events
    assert first.occurred_at == datetime(2026, 3, 3, 10, 15)
    assert second.occurred_at == datetime(2026, 3, 4, 7, 0)  # +02:00 converted to UTC
    top1, loss = backlog.metric_goals
    assert (top1.key, top1.better, top1.baseline, top1.target, top1.headline) == ("val/top1", "higher", 0.71, 0.74,
                                                                                    True)
    assert (loss.better, loss.baseline, loss.target, loss.headline) == (None, -0.5, None, False)
    policy = backlog.fairness
    assert (policy.table_key, policy.attributes, policy.action, policy.reach, policy.band_low, policy.band_high,
            policy.min_group_size, policy.label) == ("val/preds", ["sex", "race"], "punitive", None, 0.9, 1.1, 50,
                                                     None)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("type: hypothesis", "type: epic"), "items[0].type: 'epic' is not one of story, hypothesis"),
        (("start: 2026-03-02", "start: next monday"), "sprints[0].start: must be a date"),
        (("points: 3", "points: lots"), "items[1].points: must be a number"),
        (("points: 3", "points: -3"), "items[1].points: must not be negative"),
        (("id: V-2", "id: V-1"), "item id 'V-1' appears twice"),
        (("    title: Data loader caching\n", ""), "items[1].title: is required"),
        (("end: 2026-03-13", "end: 2026-03-01"), "sprints[0].end: 2026-03-01 is before the start"),
        (('at: "2026-03-03T10:15", ', ""), "events[0].at: is required"),
        (("field: status", "field: colour"), "events[0].field: 'colour' is not one of"),
        (("better: higher", "better: bigger"), "metrics[0].better: 'bigger' is not one of higher, lower"),
        (("target: 0.74", "target: high"), "metrics[0].target: must be a number"),
        (("headline: true", "headline: yes please"), "metrics[0].headline: must be true or false"),
        (("key: val/loss", "key: val/top1"), "metric 'val/top1' appears twice"),
        (("{key: val/loss, ", "{"), "metrics[1].key: is required"),
        (("action: Punitive", "action: helpful"), "fairness.action: 'helpful' is not one of punitive, assistive"),
        (("band: [0.9, 1.1]", "band: [1.1, 1.3]"), "fairness.band: must be positive and hold 1"),
        (("band: [0.9, 1.1]", "band: 0.8"), "fairness.band: must be two numbers like [0.8, 1.25]"),
        (("min_group_size: 50", "min_group_size: 2.5"), "fairness.min_group_size: must be a whole number"),
    ],
)
def test_a_bad_entry_is_named_with_its_field(tmp_path, change, message):
    old, new = change
    assert old in SMALL
    with pytest.raises(InputError) as error:
        parse_backlog_yaml(_write(tmp_path, SMALL.replace(old, new, 1)))
    assert str(error.value).startswith(str(tmp_path / "backlog.yaml") + ": ")
    assert message in str(error.value)


def test_broken_yaml_says_where(tmp_path):
    with pytest.raises(InputError, match=r"is not valid YAML at line 3"):
        parse_backlog_yaml(_write(tmp_path, "sprints:\n  - name: a\n\tname: b\n"))


def test_a_yaml_file_that_is_not_a_backlog_is_refused(tmp_path):
    with pytest.raises(InputError, match="is not a backlog file"):
        parse_backlog_yaml(_write(tmp_path, "model: resnet\nlr: 0.1\n"))


def test_the_demo_backlog_round_trips_through_the_format(tmp_path):
    backlog = parse_backlog_yaml(write_backlog(tmp_path / "demo.yaml"))
    assert [s.sprint_id for s in backlog.sprints] == ["S1", "S2", "S3", "S4"]
    assert {i.item_type for i in backlog.items} == {"story", "hypothesis", "spike", "task", "bug"}
    by_id = {i.item_id: i for i in backlog.items}
    assert by_id["INC-107"].sprint_id == "S2" and by_id["INC-107"].status == "Done"  # carried over
    assert by_id["INC-207"].sprint_id is None  # taken out of its sprint
    assert by_id["INC-205"].points == 3  # re-estimated from 2
    reopen = [e for e in backlog.events if e.item_id == "INC-306" and e.field == "status"]
    assert [e.to_value for e in reopen][-2:] == ["Update Model", "Done"]
    assert {h.hypothesis_id for h in backlog.hypotheses} == {"INC-104", "INC-203", "INC-204", "INC-303",
                                                             "INC-403", "INC-404", "INC-408"}


def test_broken_yaml_says_what_yaml_found(tmp_path):
    with pytest.raises(InputError) as error:
        parse_backlog_yaml(_write(tmp_path, "sprints:\n  - name: a\n\tname: b\n"))
    assert error.value.problem == "is not valid YAML at line 3: found character '\\t' that cannot start any token"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("items:\n  - id: B-1\n    title: Baseline\n    points: 3\n    points: 8\n",
         "items[0]: key 'points' appears twice (lines 4 and 5)"),
        ("items:\n  - {id: B-1, title: Baseline}\n  - {id: B-2, title: Loader, sprint: S1, sprint: S2}\n",
         "items[1]: key 'sprint' appears twice (line 3)"),
        ("sprints: []\nitems: []\nsprints:\n  - {id: S1, name: Sprint 1}\n",
         "the top level: key 'sprints' appears twice (lines 1 and 3)"),
        ('fairness:\n  band: [0.8, 1.25]\n  "band": [0.9, 1.1]\n',
         "fairness: key 'band' appears twice (lines 2 and 3)"),
    ],
)
def test_a_key_written_twice_is_refused_naming_it_and_its_lines(tmp_path, text, problem):
    # PyYAML alone would keep the last value (points 8) without a word
    with pytest.raises(InputError) as error:
        parse_backlog_yaml(_write(tmp_path, text))
    assert error.value.problem == problem


def test_keys_that_only_look_alike_are_different_keys(tmp_path):
    backlog = parse_backlog_yaml(_write(tmp_path, "items:\n  - {id: B-1, title: Baseline, 1: one, '1': text}\n"))
    assert [item.item_id for item in backlog.items] == ["B-1"]


def test_anchors_and_merge_keys_share_values_as_written(tmp_path):
    text = """
defaults: &defaults {sprint: S1, labels: &labels [data, vision]}
sprints:
  - {id: S1, name: Sprint 1}
items:
  - {<<: *defaults, id: B-1, title: Baseline}
  - <<: *defaults
    id: B-2
    title: Loader
    sprint: S2
    labels: *labels
"""
    first, second = parse_backlog_yaml(_write(tmp_path, text)).items
    assert (first.sprint_id, first.labels) == ("S1", ["data", "vision"])
    assert (second.sprint_id, second.labels) == ("S2", ["data", "vision"])


def _aliased_labels(items: int) -> str:
    """A backlog whose ``items`` items each have ``labels: *l``, an alias of a list of 999 labels: each alias repeats
    1,000 values (the list and its labels)."""
    labels = ", ".join(f"l{n}" for n in range(999))
    entries = "".join(f"  - {{id: B-{n}, title: T{n}, labels: *l}}\n" for n in range(items))
    return f"shared: &l [{labels}]\nitems:\n{entries}"


def test_aliases_may_repeat_up_to_100000_values(tmp_path):
    backlog = parse_backlog_yaml(_write(tmp_path, _aliased_labels(100)))
    assert len(backlog.items) == 100 and backlog.items[-1].labels[998] == "l998"


def test_aliases_repeating_more_than_100000_values_are_refused(tmp_path):
    with pytest.raises(InputError) as error:
        parse_backlog_yaml(_write(tmp_path, _aliased_labels(101)))
    assert error.value.problem == ("has aliases that repeat 101,000 values, more than the 100,000 a file may "
                                   "repeat (an alias bomb)")


def test_an_alias_bomb_is_refused_before_it_is_expanded(tmp_path):
    levels = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for previous, name in zip("abcdefghi", "bcdefghij", strict=False):
        levels.append(f"{name}: &{name} [{', '.join([f'*{previous}'] * 10)}]")
    text = "\n".join(levels[:9]) + "\nitems:\n  - {id: B-1, title: Laughs, labels: *i}\n"
    started = time.monotonic()
    with pytest.raises(InputError, match=r"^.*: has aliases that repeat [\d,]+ values, .* \(an alias bomb\)$"):
        parse_backlog_yaml(_write(tmp_path, text))
    assert time.monotonic() - started < 5  # expanding it would take minutes and gigabytes


def test_an_alias_to_the_list_that_holds_it_is_refused(tmp_path):
    with pytest.raises(InputError) as error:
        parse_backlog_yaml(_write(tmp_path, "items:\n  - id: B-1\n    title: Loop\n    labels: &l [a, *l]\n"))
    assert error.value.problem == "items[0].labels[1]: an alias refers to the collection it is in (line 4)"


def test_a_label_that_is_a_list_is_refused(tmp_path):
    with pytest.raises(InputError) as error:
        parse_backlog_yaml(_write(tmp_path, "items:\n  - {id: B-1, title: T, labels: [data, [a, b]]}\n"))
    assert error.value.problem == "items[0].labels[1]: must be a single value, not a list"


def test_yaml_nested_too_deeply_is_refused_in_one_line(tmp_path):
    with pytest.raises(InputError) as error:
        parse_backlog_yaml(_write(tmp_path, "items: " + "[" * 600 + "]" * 600 + "\n"))
    assert error.value.problem == "is not valid YAML: it is nested too deeply to read"


def test_a_file_that_is_not_utf8_names_the_byte(tmp_path):
    path = tmp_path / "backlog.yaml"
    path.write_bytes("items:\n  - {id: B-1, title: Résumé}\n".encode("latin-1"))
    with pytest.raises(InputError) as error:
        parse_backlog_yaml(path)
    assert error.value.problem == "is not UTF-8 text (byte 29)"
