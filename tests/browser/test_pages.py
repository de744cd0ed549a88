"""The app in a real browser: every page renders (a screenshot of each goes to ``tests/artifacts/``), deep links
reproduce their view, user text stays text, and charts draw."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import duckdb
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import cut_short_text, save_screenshot

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
IMG = '<img src=x onerror="window.__xss=1">'
SCRIPT = "<script>window.__xss=2</script>"
STATEMENT = f"We believe {IMG} and {SCRIPT} stay text."

PAGES = [
    pytest.param("/", id="overview"),
    pytest.param("/sprint_flow", id="sprint_flow"),
    pytest.param("/hypotheses", id="hypotheses"),
    pytest.param("/metrics", id="metrics"),
    pytest.param("/bias", id="bias"),
    pytest.param("/runs", id="runs"),
    pytest.param("/data_sources", id="data_sources"),
    pytest.param("/retro", id="retro", marks=pytest.mark.skipif(
        not (REPO / "pages" / "retro.py").exists(), reason="pages/retro.py does not exist yet")),
    pytest.param("/glossary", id="glossary"),
]


def query_of(page) -> dict[str, list[str]]:
    """The page's current query parameters."""
    return parse_qs(urlsplit(page.url).query)


def combobox(page, label: str):
    """The select box labelled exactly ``label``."""
    return page.get_by_role("combobox", name=label, exact=True)


def assert_no_exception(page) -> None:
    """No Streamlit exception box is on the page."""
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)


def assert_no_markup_injected(page) -> None:
    """Neither the image nor the script in the store became an element, and neither ran."""
    expect(page.locator('img[src="x"]')).to_have_count(0)
    expect(page.locator("script", has_text="__xss")).to_have_count(0)
    assert page.evaluate("window.__xss") is None


def write_html_into(store: Path) -> None:
    """Give two runs HTML for a name and notes, and one hypothesis an HTML statement."""
    with duckdb.connect(str(store)) as con:
        con.execute("UPDATE runs SET name = ?, notes = ? WHERE run_id = 's2-hgb-s0'", [IMG, SCRIPT])
        con.execute("UPDATE runs SET name = ?, notes = ? WHERE run_id = 's2-hgb-s1'", [SCRIPT, IMG])
        con.execute("UPDATE hypotheses SET statement = ? WHERE hypothesis_id = 'INC-203'", [STATEMENT])


@pytest.fixture(scope="session")
def hostile_app(demo_build: dict, start_app: Callable[..., str]) -> str:
    """The app on a copy of the demo store whose run names, notes and one hypothesis statement hold HTML."""
    return start_app(demo_build["db"], write_html_into)


@pytest.mark.parametrize("path", PAGES)
def test_page_loads_without_exception(open_page, path: str, request: pytest.FixtureRequest) -> None:
    page = open_page(path)
    assert_no_exception(page)
    assert cut_short_text(page) == []
    shot = save_screenshot(page, request.node.callspec.id)
    assert shot.stat().st_size > 0


def test_metrics_deep_link_opens_sprint_view_of_metric(open_page) -> None:
    page = open_page("/metrics?view=sprints&metric=val/brier")
    assert_no_exception(page)
    expect(page.get_by_role("radio", name="Sprint view")).to_be_checked()
    expect(combobox(page, "Metric")).to_have_value("val/brier")
    expect(combobox(page, "Better is")).to_have_value("lower values")
    assert query_of(page)["metric"] == ["val/brier"]


def test_hypotheses_deep_link_shows_that_sprint(open_page) -> None:
    page = open_page("/hypotheses?sprint=S2")
    assert_no_exception(page)
    expect(combobox(page, "Sprint")).to_have_value("Sprint 2 - Boosting")
    expect(page.get_by_text("INC-203", exact=True)).to_be_visible()
    expect(page.get_by_text("INC-204", exact=True)).to_be_visible()
    expect(page.get_by_text("INC-403", exact=True)).to_have_count(0)


@pytest.mark.parametrize(("attribute", "metric", "title"), [
    ("sex", "tpr", "True positive rate (recall)"),
    ("race", "fpr", "False positive rate"),
])
def test_bias_deep_link_shows_that_attribute_and_metric(open_page, attribute: str, metric: str, title: str) -> None:
    page = open_page(f"/bias?attr={attribute}&metric={metric}")
    assert_no_exception(page)
    expect(combobox(page, "Attribute")).to_have_value(attribute)
    expect(combobox(page, "Metric")).to_have_value(title)
    expect(page.get_by_text(re.compile(rf"^{re.escape(f'{attribute} · {title}')}: "))).to_be_visible()


def test_changed_selection_goes_to_the_url_and_survives_a_reload(open_page) -> None:
    page = open_page("/")
    sprint = combobox(page, "Sprint")
    assert sprint.input_value() != "Sprint 2 - Boosting"
    sprint.click()
    page.get_by_role("option", name="Sprint 2 - Boosting", exact=True).click()
    page.wait_for_url(re.compile(r"[?&]sprint=S2(&|$)"))
    expect(page.locator("h3").filter(has_text="Sprint 2 - Boosting")).to_be_visible()
    assert query_of(page)["sprint"] == ["S2"]

    open_page(page.url)
    assert_no_exception(page)
    expect(combobox(page, "Sprint")).to_have_value("Sprint 2 - Boosting")
    expect(page.locator("h3").filter(has_text="Sprint 2 - Boosting")).to_be_visible()
    assert query_of(page)["sprint"] == ["S2"]


def test_run_names_show_as_text(open_page, hostile_app: str) -> None:
    page = open_page("/runs?run=s2-hgb-s0", app=hostile_app)
    assert_no_exception(page)
    expect(combobox(page, "Run")).to_have_value(IMG)
    expect(page.locator("h3").filter(has_text=IMG)).to_be_visible()
    combobox(page, "Run").click()
    expect(page.get_by_role("option", name=SCRIPT, exact=True)).to_be_visible()
    assert_no_markup_injected(page)


def test_hypothesis_statement_shows_as_text(open_page, hostile_app: str) -> None:
    page = open_page("/hypotheses?sprint=S2", app=hostile_app)
    assert_no_exception(page)
    expect(page.get_by_text(STATEMENT, exact=True)).to_be_visible()
    assert_no_markup_injected(page)


def test_metric_curve_draws_in_the_browser(open_page) -> None:
    page = open_page("/metrics?view=curves&metrics=val/auc&runs=s2-hgb-s0&smooth=none")
    assert_no_exception(page)
    line = page.locator(".js-plotly-plot .scatterlayer path").first
    expect(line).to_be_attached()
    assert re.match(r"^M[\d.\-]", line.get_attribute("d") or "")
    expect(page.locator(".js-plotly-plot .legend .legendtext")).to_contain_text(["s2-hgb-s0"])

