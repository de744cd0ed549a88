"""The review's HTML file opens in the browser with no network: its charts draw from the file alone, whether it was
written by ``render_report`` (what ``sprintboard report`` writes) or downloaded from the Overview's button."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pytest
from playwright.sync_api import expect

from sprintboard.report.html_report import render_report, report_file_name
from sprintboard.store import read_connection
from tests.browser.conftest import record_browser_errors

pytestmark = pytest.mark.slow

CHART_TIMEOUT_MS = 30_000


@dataclass
class OfflineView:
    """A report file open in a browser context that lets no request out: ``page``, every request it tried to make
    beyond the file itself (``blocked``, all refused) and every console error or uncaught exception (``errors``)."""

    page: object
    blocked: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@contextmanager
def open_offline(browser, path: Path) -> Iterator[OfflineView]:
    """Open the file at ``path`` in a fresh context of ``browser`` whose every request but ``file:`` ones is aborted,
    once a Plotly chart has drawn; the context is closed after."""
    context = browser.new_context()
    try:
        view = OfflineView(context.new_page())

        def only_files(route) -> None:
            if route.request.url.startswith("file:"):
                route.continue_()
            else:
                view.blocked.append(route.request.url)
                route.abort()

        context.route("**/*", only_files)
        record_browser_errors(view.page, view.errors)
        view.page.goto(path.as_uri())
        view.page.wait_for_selector(".js-plotly-plot svg.main-svg", timeout=CHART_TIMEOUT_MS)
        yield view
    finally:
        context.close()


def test_the_review_file_draws_its_charts_without_network(browser_context, demo_build: dict, tmp_path: Path):
    with read_connection(demo_build["db"]) as con:
        document = render_report(con, "S4", datetime(2026, 11, 23))
    path = tmp_path / "review-S4.html"
    path.write_text(document, encoding="utf-8")

    with open_offline(browser_context.browser, path) as view:
        charts = view.page.locator(".js-plotly-plot").count()
        traces = view.page.locator(".js-plotly-plot .scatterlayer .trace").count()
    assert charts >= 2
    assert traces >= 4  # burndown: guideline and remaining; frontier: runs, best so far, best runs
    assert view.blocked == [] and view.errors == []


def test_the_downloaded_review_opens_offline(open_page, browser_context, tmp_path: Path) -> None:
    page = open_page("/?sprint=S2")
    tile = page.get_by_test_id("stMetric").filter(has_text="Points done")
    points_done = tile.get_by_test_id("stMetricValue").inner_text().strip()

    with page.expect_download() as started:
        page.get_by_role("button", name="Download the review (HTML)").click()
    download = started.value
    assert download.failure() is None
    assert download.suggested_filename == report_file_name("S2") == "review-S2.html"
    path = tmp_path / download.suggested_filename
    download.save_as(path)

    with open_offline(browser_context.browser, path) as view:
        report = view.page
        expect(report.get_by_role("heading", level=1)).to_have_text("Sprint review: Sprint 2 - Boosting")
        progress = report.locator("section").filter(has=report.get_by_role("heading", name="Goal and progress"))
        expect(progress).to_contain_text(re.compile(rf"Points done\s*{re.escape(points_done)}"))
        burndown = report.locator("section").filter(has=report.get_by_role("heading", name="Burndown"))
        expect(burndown.locator(".js-plotly-plot svg.main-svg").first).to_be_visible()
        hypotheses = report.locator("section").filter(has=report.get_by_role("heading", name="Hypotheses"))
        expect(hypotheses.locator("table tbody tr td:first-child")).to_have_text(["INC-203", "INC-204"])
        done = report.locator("section").filter(has=report.get_by_role("heading", name="Definition of Done"))
        expect(done.locator("table tbody tr").filter(has_text="baseline reached")).to_have_count(1)
    assert view.blocked == [], f"the report asked the network for {view.blocked}"
    assert view.errors == []
