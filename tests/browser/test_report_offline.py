"""The review's HTML file opens in the browser with no network: its charts draw from the file alone."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sprintboard.report.html_report import render_report
from sprintboard.store import read_connection


def test_the_review_file_draws_its_charts_without_network(browser_context, demo_build: dict, tmp_path: Path):
    with read_connection(demo_build["db"]) as con:
        document = render_report(con, "S4", datetime(2026, 11, 23))
    path = tmp_path / "review-S4.html"
    path.write_text(document, encoding="utf-8")
    blocked, errors = [], []

    def only_files(route) -> None:
        if route.request.url.startswith("file:"):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    page = browser_context.new_page()
    try:
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.route("**/*", only_files)
        page.goto(path.as_uri())
        page.wait_for_selector(".js-plotly-plot .main-svg", timeout=30_000)
        charts = page.locator(".js-plotly-plot").count()
        traces = page.locator(".js-plotly-plot .scatterlayer .trace").count()
    finally:
        page.close()
    assert charts >= 2
    assert traces >= 4  # burndown: guideline and remaining; frontier: runs, best so far, best runs
    assert blocked == [] and errors == []
