"""The retro: every sprint-over-sprint number on a hand-made store, the discussion prompts, and retro notes with
actions carried from sprint to sprint."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from sprintboard.analytics.retro import PROMPT_THRESHOLD, discussion_prompts, headline_goal, retro_table
from sprintboard.analytics.retro_notes import add_note, set_action_state, sprint_notes
from tests.analytics.rows import add_item, add_run, add_sprint

AS_OF = datetime(2026, 3, 1, 12)
PLANNING = datetime(2026, 1, 2, 9)  # when items are created unless said otherwise, before the first sprint


def at(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(2026, month, day, hour)


def event(con, item_id: str, when: datetime, field: str, before: str | None, after: str | None) -> None:
    con.execute("INSERT INTO item_events VALUES (?, ?, ?, ?, ?, 'tester', 'test')",
                [item_id, when, field, before, after])


def item(con, item_id: str, sprint: str | None, status: str, points: float | None = None, *,
         created: datetime = PLANNING, joined: str | None = None, item_type: str = "story",
         timebox: float | None = None) -> None:
    """An item created at ``created``, put into sprint ``joined`` (default: ``sprint``) at the same moment."""
    add_item(con, item_id, sprint, status, points, item_type)
    con.execute("UPDATE work_items SET created_at = ?, timebox_hours = ? WHERE item_id = ?",
                [created, timebox, item_id])
    event(con, item_id, created, "created", None, "To Do")
    event(con, item_id, created, "sprint", None, joined or sprint)


def works(con, item_id: str, started: datetime | None, done: datetime | None) -> None:
    if started:
        event(con, item_id, started, "status", "To Do", "In Progress")
    if done:
        event(con, item_id, done, "status", "In Progress" if started else "To Do", "Done")


def hypothesis(con, hypothesis_id: str, sprint: str, decision: str | None = None) -> None:
    con.execute("""INSERT INTO hypotheses (hypothesis_id, statement, sprint_id, aggregation, run_ids, source_path)
                   VALUES (?, 'We believe...', ?, 'mean', [], 'test')""", [hypothesis_id, sprint])
    if decision:
        con.execute("INSERT INTO hypothesis_decisions VALUES (?, ?, ?, 'seen enough', 'Ana')",
                    [hypothesis_id, at(2, 1), decision])


def auc(con, run_id: str, sprint: str, value: float) -> None:
    add_run(con, run_id, created_at=at(1, 6), sprint_ref=sprint)
    con.execute("INSERT INTO run_summary (run_id, key, value_json, value_num) VALUES (?, 'val/auc', ?, ?)",
                [run_id, str(value), value])


@pytest.fixture
def store(con):
    """Three finished two-week sprints and one planned (see each item's comment); 1 March 2026 is ``as_of``."""
    add_sprint(con, "S1", date(2026, 1, 5), date(2026, 1, 16), "Sprint 1")
    add_sprint(con, "S2", date(2026, 1, 19), date(2026, 1, 30), "Sprint 2")
    add_sprint(con, "S3", date(2026, 2, 2), date(2026, 2, 13), "Sprint 3")
    add_sprint(con, "S4", date(2026, 3, 2), date(2026, 3, 13), "Sprint 4")  # not started on 1 March
    # Sprint 1: committed A 5 + B 3 + C 8 + E 4 + F 0 = 20 points; D (2) added; E taken out to the backlog.
    item(con, "A", "S1", "Done", 5)
    works(con, "A", at(1, 6), at(1, 8))  # 3 days
    item(con, "B", "S1", "Done", 3)
    works(con, "B", at(1, 5), at(1, 14))  # 10 days
    item(con, "C", "S2", "Done", 8, joined="S1")  # unfinished, moved on to S2 on S1's last day; done there
    works(con, "C", at(1, 12), None)
    event(con, "C", at(1, 16, 17), "sprint", "S1", "S2")
    event(con, "C", at(1, 21), "status", "In Progress", "Done")  # 10 days, finished on a day of S2
    item(con, "D", "S1", "Done", 2, created=at(1, 7, 9))  # added on the 7th
    works(con, "D", at(1, 7, 11), at(1, 9))  # 3 days
    item(con, "E", None, "To Do", 4, joined="S1")
    event(con, "E", at(1, 9), "sprint", "S1", None)
    item(con, "F", "S1", "Done", item_type="spike", timebox=8)
    works(con, "F", at(1, 5, 9), at(1, 7, 9))  # 16 working hours against a time-box of 8: overrun; 3 days
    # Sprint 2: committed C 8 + G 3 + H 5 + I 5 + J 1 = 22 points.
    item(con, "G", "S2", "Done", 3, created=at(1, 16, 9))
    works(con, "G", at(1, 19), at(1, 23))  # 5 days
    item(con, "H", "S2", "Done", 5, item_type="hypothesis", timebox=40)
    works(con, "H", at(1, 20, 9), at(1, 22, 9))  # 16 of 40 hours: within; 3 days
    item(con, "I", "S2, S3", "Done", 5, joined="S2")  # unfinished; S3 added to its sprints after S2 ended
    event(con, "I", at(2, 2, 9), "sprint", "S2", "S2, S3")
    works(con, "I", None, at(2, 4))  # went straight to done: 1 day
    item(con, "J", None, "To Do", 1, joined="S2")  # unfinished, back to the backlog on S2's last day
    event(con, "J", at(1, 30, 17), "sprint", "S2", None)
    # Sprint 3: committed L 2 + M 3 + K 0 = 5 points; I (5) joins on its first day; M moves on to S4.
    item(con, "L", "S3", "Done", 2, created=at(1, 30, 9))
    works(con, "L", at(2, 3), at(2, 5))  # 3 days
    item(con, "M", "S4", "To Do", 3, created=at(1, 30, 9), joined="S3")
    event(con, "M", at(2, 13, 16), "sprint", "S3", "S4")
    item(con, "K", "S3", "In Progress", item_type="spike", timebox=8, created=at(1, 30, 9))
    works(con, "K", at(2, 3, 9), None)  # in progress ever since: its time-box ran out with no outcome
    # Hypotheses: decided ones count as tested.
    hypothesis(con, "H0", "S1", "inconclusive")
    hypothesis(con, "H1", "S2", "supported")
    hypothesis(con, "H2", "S2", "refuted")
    hypothesis(con, "H3", "S3")  # no runs, no decision: expired, not tested
    con.execute("""INSERT INTO metric_goals VALUES ('val/auc', 'higher', 0.8, 0.9, true, 'test'),
                                                   ('val/loss', 'lower', NULL, NULL, false, 'test')""")
    auc(con, "r1", "S1", 0.80)
    auc(con, "r2", "S2", 0.85)
    return con


def test_one_row_per_started_sprint_in_date_order(store):
    table = retro_table(store, AS_OF)
    assert table["sprint_id"].tolist() == ["S1", "S2", "S3"]
    assert table["finished"].tolist() == [True, True, True]


def test_velocity_throughput_and_commitment_reliability(store):
    table = retro_table(store, AS_OF).set_index("sprint_id")
    assert table["committed"].tolist() == [20, 22, 5]
    assert table["velocity"].tolist() == [10, 16, 7]  # S1: A, B, D; S2: C, G, H; S3: I, L
    assert table["throughput"].tolist() == [4, 3, 2]  # the spike F counts as an item, with no points
    assert table["reliability"].tolist() == pytest.approx([0.5, 16 / 22, 1.4])  # S3: added work completed


def test_scope_added_and_removed(store):
    table = retro_table(store, AS_OF).set_index("sprint_id")
    assert table["scope_added"].tolist() == [2, 0, 5]  # D; I joining S3 after its start
    assert table["scope_removed"].tolist() == [4, 1, 0]  # E; J back to the backlog (not carried over)


def test_carry_over_is_unfinished_work_that_went_on_to_the_next_sprint(store):
    table = retro_table(store, AS_OF).set_index("sprint_id")
    # S1: C, moved on its last day; S2: I, still in S2 at its end and put into S3 later; S3: M, into S4 (planned).
    assert table["carry_over_items"].tolist() == [1, 1, 1]
    assert table["carry_over_points"].tolist() == [8, 5, 3]


def test_cycle_times_of_the_items_finished_on_the_sprints_days(store):
    table = retro_table(store, AS_OF).set_index("sprint_id")
    assert table["cycle_items"].tolist() == [4, 3, 2]  # S1: A 3, B 10, D 3, F 3; S2: C 10, G 5, H 3; S3: I 1, L 3
    assert table["cycle_p50"].tolist() == [3, 5, 1]
    assert table["cycle_p85"].tolist() == [10, 10, 3]


def test_time_box_overruns(store):
    table = retro_table(store, AS_OF).set_index("sprint_id")
    assert table["timeboxes"].tolist() == [1, 1, 1]
    assert table["timebox_overruns"].tolist() == [1, 0, 1]  # F overran; K ran out with no outcome


def test_hypothesis_hit_rate(store):
    table = retro_table(store, AS_OF).set_index("sprint_id")
    assert table[["hypotheses", "tested", "supported", "refuted", "inconclusive"]].values.tolist() == [
        [1, 1, 0, 0, 1], [2, 2, 1, 1, 0], [1, 0, 0, 0, 0]]
    assert table["hit_rate"].iloc[:2].tolist() == [0.0, 0.5]
    assert table["hit_rate"].isna().tolist() == [False, False, True]  # nothing tested: no rate


def test_headline_metric_gain(store):
    assert headline_goal(store).key == "val/auc"
    table = retro_table(store, AS_OF).set_index("sprint_id")
    assert table["metric_frontier"].tolist() == pytest.approx([0.80, 0.85, 0.85])
    assert table["metric_gain"].isna().tolist() == [True, False, False]  # the first sprint moved nothing yet
    assert table["metric_gain"].iloc[1:].tolist() == pytest.approx([0.05, 0.0])


def test_without_a_headline_metric_there_is_no_gain(store):
    store.execute("UPDATE metric_goals SET headline = false")
    assert headline_goal(store) is None
    table = retro_table(store, AS_OF)
    assert table["metric_gain"].isna().all() and table["metric_frontier"].isna().all()


def test_empty_sprints_have_zeros_and_no_shares(con):
    add_sprint(con, "S1", date(2026, 1, 5), date(2026, 1, 16))
    row = retro_table(con, AS_OF).iloc[0]
    assert row[["committed", "velocity", "throughput", "carry_over_items", "cycle_items"]].tolist() == [0] * 5
    assert row[["reliability", "cycle_p50", "cycle_p85", "hit_rate"]].isna().all()  # zero denominators
    assert retro_table(con, datetime(2026, 1, 1)).empty  # before the first sprint started


def test_prompts_are_the_largest_changes_from_the_sprint_before(store):
    table = retro_table(store, AS_OF)
    prompts = discussion_prompts(table)  # S3 against S2
    columns = [prompt.column for prompt in prompts]
    # 100% first (from zero and to zero, in table order), then by size; carry-over did not change (1 and 1).
    assert columns == ["scope_added", "scope_removed", "timebox_overruns", "tested", "reliability", "cycle_p50",
                       "committed", "cycle_p85", "velocity", "throughput"]
    texts = {prompt.column: prompt.text for prompt in prompts}
    assert texts["velocity"] == "Velocity fell from 16 to 7 points (\u221256%)"
    assert texts["cycle_p85"] == "Cycle time p85 fell from 10.0 to 3.0 days (\u221270%)"
    assert texts["scope_added"] == "Scope added rose from 0 to 5 points"  # from zero: no percentage
    assert texts["timebox_overruns"] == "Time-box overruns rose from 0 to 1 item"
    assert texts["reliability"].startswith("Commitment reliability rose from 73% to 140% (+9")
    velocity = next(prompt for prompt in prompts if prompt.column == "velocity")
    assert (velocity.previous, velocity.current, velocity.change) == (16, 7, -9)
    assert velocity.relative == pytest.approx(-9 / 16)
    assert "hit_rate" not in columns  # S3 tested nothing: no rate to compare


def test_prompts_threshold_and_the_first_sprint(store):
    table = retro_table(store, AS_OF)
    assert PROMPT_THRESHOLD == 0.2
    s2 = {prompt.column: prompt for prompt in discussion_prompts(table, "S2")}
    assert s2["throughput"].text == "Throughput fell from 4 to 3 items (\u221225%)"
    assert "committed" not in s2  # 20 to 22 points: +10%, under the threshold
    assert "throughput" not in {p.column for p in discussion_prompts(table, "S2", threshold=0.3)}
    assert discussion_prompts(table, "S1") == []  # no sprint before the first
    assert discussion_prompts(table, "S9") == []
    assert discussion_prompts(table.iloc[:0]) == []


@pytest.fixture
def sprints(con):
    add_sprint(con, "S1", date(2026, 1, 5), date(2026, 1, 16), "Sprint 1")
    add_sprint(con, "S2", date(2026, 1, 19), date(2026, 1, 30), "Sprint 2")
    add_sprint(con, "S3", date(2026, 2, 2), date(2026, 2, 13), "Sprint 3")
    con.execute("INSERT INTO sprints (sprint_id, name, source_path) VALUES ('U', 'Undated', 'test')")
    return con


def test_notes_of_a_sprint_by_kind(sprints):
    add_note(sprints, "S1", "to_improve", "Reviews wait too long", "Mei", at(1, 16))
    add_note(sprints, "S1", "went_well", "  The demo  ", "Jonas", at(1, 16, 11))
    action = add_note(sprints, "S1", "action", "Pair on reviews", "Mei", at(1, 16, 12))
    notes = sprint_notes(sprints, "S1")
    assert notes["kind"].tolist() == ["went_well", "to_improve", "action"]
    assert notes["text"].tolist() == ["The demo", "Reviews wait too long", "Pair on reviews"]
    assert notes["action_state"].isna().tolist() == [True, True, False] and notes["action_state"].iloc[2] == "open"
    assert not notes["carried"].any()
    assert notes.loc[notes["note_id"] == action, "author"].item() == "Mei"


def test_an_open_action_is_carried_into_every_later_sprint_until_done(sprints):
    first = add_note(sprints, "S1", "action", "Pair on reviews", "Mei", at(1, 16))
    add_note(sprints, "S2", "went_well", "Reviews were quick", "Jonas", at(1, 30))
    second = add_note(sprints, "S2", "action", "Automate the seed sweep", "Tomás", at(1, 30, 11))

    s2 = sprint_notes(sprints, "S2")
    assert s2["note_id"].tolist()[1:] == [second, first]  # own actions first, then carried ones
    carried = s2[s2["note_id"] == first].iloc[0]
    assert bool(carried["carried"]) and carried["sprint_id"] == "S1"
    assert (carried["carried_from_sprint_id"], carried["carried_from_name"]) == ("S1", "Sprint 1")
    s3 = sprint_notes(sprints, "S3")
    assert s3["note_id"].tolist() == [first, second]  # both carried, oldest sprint first
    assert s3["carried_from_sprint_id"].tolist() == ["S1", "S2"]
    assert sprint_notes(sprints, "S1")["note_id"].tolist() == [first]  # never carried backwards
    assert sprint_notes(sprints, "U").empty  # an undated sprint has no place in the order

    set_action_state(sprints, first, "done", "Mei", at(2, 3))
    assert sprint_notes(sprints, "S2")["note_id"].tolist()[1:] == [second]
    assert sprint_notes(sprints, "S3")["note_id"].tolist() == [second]
    own = sprint_notes(sprints, "S1").iloc[0]
    assert (own["action_state"], own["done_by"], own["done_at"]) == ("done", "Mei", at(2, 3))

    set_action_state(sprints, first, "open", "Mei", at(2, 4))  # reopened: carried again, the record cleared
    assert sprint_notes(sprints, "S3")["note_id"].tolist() == [first, second]
    assert sprint_notes(sprints, "S1")["done_by"].isna().all()


def test_an_action_recorded_as_carried_names_its_first_sprint(sprints):
    note = add_note(sprints, "S2", "action", "Write the runbook", "Ana", at(1, 30), carried_from_sprint_id="S1")
    own = sprint_notes(sprints, "S2").iloc[0]
    assert not own["carried"] and own["carried_from_sprint_id"] == "S1"
    later = sprint_notes(sprints, "S3").iloc[0]
    assert later["note_id"] == note and later["carried"] and later["carried_from_sprint_id"] == "S1"
    assert sprint_notes(sprints, "S1").empty


@pytest.mark.parametrize(("arguments", "message"), [
    (("S1", "kudos", "x"), "kind must be one of"),
    (("S1", "went_well", "   "), "needs some text"),
    (("S1", "went_well", "x" * 2001), "at most 2000"),
    (("S9", "went_well", "x"), "no sprint 'S9'"),
])
def test_notes_the_store_cannot_hold_are_refused(sprints, arguments, message):
    with pytest.raises(ValueError, match=message):
        add_note(sprints, *arguments, "Ana", at(1, 16))


def test_only_actions_carry_and_change_state(sprints):
    with pytest.raises(ValueError, match="only actions"):
        add_note(sprints, "S2", "went_well", "x", "Ana", at(1, 30), carried_from_sprint_id="S1")
    with pytest.raises(ValueError, match="not a sprint that started before"):
        add_note(sprints, "S1", "action", "x", "Ana", at(1, 16), carried_from_sprint_id="S2")
    note = add_note(sprints, "S1", "went_well", "x", "Ana", at(1, 16))
    with pytest.raises(ValueError, match="not an action"):
        set_action_state(sprints, note, "done", "Ana", at(1, 17))
    with pytest.raises(ValueError, match="no retro note"):
        set_action_state(sprints, 999, "done", "Ana", at(1, 17))
    with pytest.raises(ValueError, match="state must be"):
        set_action_state(sprints, note, "closed", "Ana", at(1, 17))
