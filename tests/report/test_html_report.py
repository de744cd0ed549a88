"""The HTML sprint review on the demo store: what it shows, that it is self-contained and escapes user text, the
`sprintboard report` command, and the file rendered in a real browser with the network blocked."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from sprintboard.analytics.hypothesis_data import record_decision
from sprintboard.analytics.sprint_review import sprint_review
from sprintboard.cli import main
from sprintboard.report.html_report import render_report
from sprintboard.store import read_connection, write_session

PAYLOAD = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@pytest.fixture(scope="module")
def s4(demo_build: dict) -> tuple[str, object]:
    """The S4 report of the demo store, and the review it was made from (same ``as_of``)."""
    as_of = _now()
    with read_connection(demo_build["db"]) as con:
        return render_report(con, "S4", as_of), sprint_review(con, "S4", as_of)


def _row(document: str, first_cell: str) -> str:
    """The table row whose first cell is ``first_cell``."""
    match = re.search(rf"<tr><td>{re.escape(first_cell)}</td>.*?</tr>", document)
    assert match, f"no table row starting with {first_cell}"
    return match.group(0)


def test_the_report_shows_goal_progress_and_every_hypothesis_with_its_verdict(s4):
    document, review = s4
    assert "Tune and pick the release candidate; decide on calibration" in document
    assert "<title>Sprint review: Sprint 4 - Release candidate</title>" in document
    assert f"{review.points_done:g} of {review.points:g}" in document
    assert {card.hypothesis_id for card in review.hypotheses} == {"INC-403", "INC-404", "INC-408"}
    for card in review.hypotheses:
        assert f">{card.verdict.final}</span>" in _row(document, card.hypothesis_id)
    assert ">refuted</span>" in _row(document, "INC-403")


def test_the_headline_metric_numbers_appear_as_the_dashboard_formats_them(s4):
    document, review = s4
    headline = review.headline
    assert headline.key == "val/auc"
    assert f'<div class="value">{headline.best:.4g}</div>' in document
    assert f"{headline.delta_previous:+.4f} vs previous sprint" in document
    assert f"{headline.frontier_gain:+.4f} this sprint" in document
    assert f'<div class="value">{headline.frontier - headline.baseline:+.4f}</div>' in document
    assert f"baseline {headline.baseline:.4g}" in document
    assert f'<div class="value">{headline.target:.4g}</div>' in document
    assert f"{headline.frontier - headline.target:+.4f} from it" in document


def test_the_bias_status_and_definition_of_done_counts_are_tables(s4):
    document, review = s4
    assert "convention, not a legal test" in document
    assert f"run {review.bias.run_id}" in document
    assert "<tr><td>sex</td><td>True positive rate (recall)</td>" in document
    for row in review.done_checks.itertuples(index=False):
        counts = (row[1], row[2], row[3])  # pass, fail, n/a
        assert f"<tr><td>{row.check}</td>" + "".join(f"<td>{count}</td>" for count in counts) + "</tr>" in document
    assert "<tr><td>baseline reached</td><td>0</td><td>2</td><td>5</td></tr>" in document
    for sentence in review.decisions:
        assert html.escape(sentence) in document


def test_plotly_is_inline_once_and_nothing_is_fetched_from_the_network(s4):
    document, _ = s4
    assert document.count("* plotly.js v") == 1
    assert document.count("Plotly.newPlot(") == 2  # burndown and frontier
    assert not re.search(r"<script[^>]*\bsrc\s*=", document, re.IGNORECASE)
    assert not re.search(r"<link[^>]*\bhref\s*=\s*[\"']?https?:", document, re.IGNORECASE)
    assert "@media print" in document


def test_user_text_is_escaped_everywhere(demo_store: Path):
    with write_session(demo_store) as writer:
        writer.con.execute("UPDATE sprints SET goal = ?, name = ? WHERE sprint_id = 'S4'", [PAYLOAD, PAYLOAD])
        writer.con.execute("UPDATE hypotheses SET statement = ? WHERE hypothesis_id = 'INC-403'", [PAYLOAD])
        record_decision(writer.con, "INC-404", "refuted", PAYLOAD, PAYLOAD, _now())
    with read_connection(demo_store) as con:
        document = render_report(con, "S4", _now())
    assert ESCAPED in _row(document, "INC-403")
    assert f"refuted by {ESCAPED} (computed: " in _row(document, "INC-404")
    assert f"<title>Sprint review: {ESCAPED}</title>" in document
    assert f"<strong>Goal:</strong> {ESCAPED}" in document
    assert document.count(ESCAPED) >= 6  # title, heading, sprint, goal twice, statement, decision's note and author
    assert "<script>alert(1)" not in document
    # Inside the charts' JSON (sprint name in titles and on the axis) Plotly writes < and > as \u003c, \u003e.
    assert "alert(1)\\u003c\\u002fscript" in document


def test_the_command_writes_the_file_and_names_it(demo_build: dict, tmp_path: Path):
    out = tmp_path / "review.html"
    result = CliRunner().invoke(main, ["report", "--sprint", "Sprint 4 - Release candidate", "--db",
                                       str(demo_build["db"]), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"{out} ({out.stat().st_size / 1e6:.1f} MB)"
    assert "Sprint review: Sprint 4 - Release candidate" in out.read_text(encoding="utf-8")


def test_the_command_writes_review_sprint_html_by_default(demo_build: dict, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["report", "--sprint", "S2", "--db", str(demo_build["db"])])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("review-S2.html (")
    assert (tmp_path / "review-S2.html").stat().st_size > 1_000_000


def test_an_unknown_sprint_fails_in_one_line_naming_the_store(demo_build: dict, tmp_path: Path):
    result = CliRunner().invoke(main, ["report", "--sprint", "S9", "--db", str(demo_build["db"]), "--out",
                                       str(tmp_path / "x.html")])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"sprintboard: error: {demo_build['db']}: has no sprint named 'S9' with start and end dates"]
    assert not (tmp_path / "x.html").exists()
