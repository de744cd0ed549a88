"""The Retro page on the demo store: the sprint-over-sprint table and prompts as the analytics compute them, and
retro notes: read-only by default, added and marked done when editing is on."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd

from sprintboard.analytics.retro import discussion_prompts, retro_table
from sprintboard.analytics.retro_notes import add_note
from sprintboard.store import read_connection, write_session

PAGE = "pages/retro.py"


def _expected(db) -> pd.DataFrame:
    now = datetime.now(UTC).replace(tzinfo=None, minute=0, second=0, microsecond=0)  # as the page does
    with read_connection(db) as con:
        return retro_table(con, now)


def test_the_table_shows_the_analytics_numbers_for_every_sprint(app, demo_build):
    at = app(PAGE)
    expected = _expected(demo_build["db"])
    shown = next(frame.value for frame in at.dataframe if "velocity" in frame.value.columns)
    assert shown["sprint_id"].tolist() == ["S1", "S2", "S3", "S4"]
    numbers = [column for column in expected.columns if column not in ("first_day", "last_day", "name")]
    pd.testing.assert_frame_equal(shown[numbers].reset_index(drop=True), expected[numbers], check_dtype=False)
    # The demo's own story: INC-107 carried over from Sprint 1; INC-404's time-box ran out in Sprint 4.
    assert shown["carry_over_items"].tolist() == [1, 0, 0, 0]
    assert shown["timebox_overruns"].iloc[-1] >= 1


def test_the_latest_sprint_is_the_default_and_its_prompts_are_called_out(app, demo_build):
    at = app(PAGE)
    assert at.selectbox(key="url_select_sprint").value == "S4"
    assert at.query_params["sprint"] == "S4"  # a copied link opens the same sprint
    prompts = discussion_prompts(_expected(demo_build["db"]), "S4")
    assert prompts, "the demo's Sprint 4 changed enough to prompt a discussion"
    called_out = " ".join(info.value for info in at.info)
    for prompt in prompts:
        assert prompt.text in called_out
    assert "Commitment reliability fell from 100% to 68%" in called_out


def test_the_sprint_in_the_url_is_shown_and_the_first_sprint_has_nothing_to_compare(app):
    at = app(PAGE, sprint="S1")
    assert at.selectbox(key="url_select_sprint").value == "S1"
    assert any("no sprint before it" in caption.value for caption in at.caption)
    assert not any("Changes of" in info.value for info in at.info)


def test_read_only_by_default_shows_the_notes_and_no_form(editable_app, demo_store):
    with write_session(demo_store) as writer:
        add_note(writer.con, "S3", "action", "Write the *calibration* plan <b>now</b>", "Tomás",
                 datetime(2026, 10, 9, 15))
    at = editable_app(PAGE, None, sprint="S4")
    assert not at.get("form") and not at.button
    assert any("read-only" in caption.value for caption in at.caption)
    markdown = [m.value for m in at.markdown]
    assert "Write the \\*calibration\\* plan \\<b\\>now\\</b\\>" in markdown  # carried from S3, shown as text
    assert any(caption.value.startswith("carried from Sprint 3 \\- Fair recall") for caption in at.caption)


def test_with_editing_on_a_note_is_added_shown_escaped_and_stored(editable_app, demo_store):
    at = editable_app(PAGE, "everyone", sprint="S4")
    at.text_input(key="retro_name").input("Amara Okafor")
    at.selectbox(key="retro_kind").set_value("action")
    at.text_area(key="retro_text").input("<script>alert(1)</script> pin the seed")
    next(button for button in at.button if button.form_id == "retro_note").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert "\\<script\\>alert\\(1\\)\\</script\\> pin the seed" in [m.value for m in at.markdown]
    with read_connection(demo_store) as con:
        assert con.execute("SELECT sprint_id, kind, text, author, action_state FROM retro_notes").fetchall() == [
            ("S4", "action", "<script>alert(1)</script> pin the seed", "Amara Okafor", "open")]

    at.button(key="done_1").click().run()
    assert not at.exception, [e.message for e in at.exception]
    with read_connection(demo_store) as con:
        assert con.execute("SELECT action_state, done_by FROM retro_notes").fetchall() == [("done", "Amara Okafor")]
    assert any("done by Amara Okafor" in caption.value for caption in at.caption)
