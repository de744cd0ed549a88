"""Presentation mode at the sprint review, on a 1280×720 projector: the sidebar goes, the review's agenda is shown one
section per screen (Back/Next buttons and the Left/Right keys move through it, Esc leaves), nothing is wider than the
screen, and each section's heading is on screen without scrolling."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import cut_short_text, wait_for_script, wait_until_drawn

pytestmark = pytest.mark.slow

PROJECTOR = {"width": 1280, "height": 720}
# The review's agenda, in the order it is presented: (section in the URL, its heading).
AGENDA = [("goal", "Sprint goal"), ("burndown", "Burndown"), ("hypotheses", "Hypotheses"),
          ("metrics", "Model metric"), ("bias", "Bias check"), ("decisions", "Decisions")]

# What is wider than the window and so scrolls sideways: the document, or Streamlit's main area.
OVERFLOW = """() => [document.documentElement, document.querySelector('[data-testid="stMain"]')]
    .filter((element) => element !== null && element.scrollWidth > element.clientWidth)
    .map((element) => `${element.tagName}[data-testid=${element.dataset.testid}] is ${element.scrollWidth} px wide `
                      + `in ${element.clientWidth} px`)"""


def query_of(page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def section_heading(page, sprint: str, title: str):
    """The heading presentation mode gives a section: the sprint's name and the section's title."""
    return page.get_by_role("heading", name=f"{sprint} · {title}", exact=True)


def assert_presenting(page, sprint: str, position: int) -> None:
    """The page is drawn in presentation mode at agenda section ``position``: the URL names it, its heading and
    every chart are on screen without scrolling, nothing overflows sideways, and Back/Next are enabled where there
    is somewhere to go."""
    key, title = AGENDA[position]
    page.wait_for_url(re.compile(rf"[?&]section={key}(&|$)"))
    wait_until_drawn(page)
    heading = section_heading(page, sprint, title)
    expect(heading).to_be_in_viewport(ratio=1)
    for chart in page.get_by_test_id("stPlotlyChart").all():
        expect(chart).to_be_in_viewport(ratio=1)
    assert query_of(page)["present"] == ["1"]
    expect(page.get_by_test_id("stSidebar")).to_be_hidden()
    expect(page.locator("h1").filter(has_text="Sprint overview")).to_have_count(0)
    assert page.evaluate(OVERFLOW) == [], f"section {key} scrolls sideways at 1280×720"
    assert cut_short_text(page) == []
    back, next_ = page.get_by_role("button", name="Back"), page.get_by_role("button", name="Next")
    if position == 0:
        expect(back).to_be_disabled()
    else:
        expect(back).to_be_enabled()
    if position == len(AGENDA) - 1:
        expect(next_).to_be_disabled()
    else:
        expect(next_).to_be_enabled()


def test_presentation_mode_walks_the_agenda_and_back_to_the_overview(page, open_page) -> None:
    page.set_viewport_size(PROJECTOR)
    open_page("/")
    sprint = page.get_by_role("combobox", name="Sprint", exact=True).input_value()
    sprint_param = query_of(page)["sprint"]
    expect(page.get_by_test_id("stSidebar")).to_be_visible()
    assert cut_short_text(page) == []

    page.get_by_role("button", name="Present this sprint").click()
    assert_presenting(page, sprint, 0)
    expect(page.get_by_test_id("stMetric").filter(has_text="Points done")).to_be_in_viewport()

    page.get_by_role("button", name="Next").click()
    assert_presenting(page, sprint, 1)
    expect(page.locator('[data-testid="stPlotlyChart"] svg.main-svg').first).to_be_visible()

    page.keyboard.press("ArrowRight")
    assert_presenting(page, sprint, 2)
    page.keyboard.press("ArrowRight")
    assert_presenting(page, sprint, 3)
    page.get_by_role("button", name="Next").click()
    assert_presenting(page, sprint, 4)
    page.keyboard.press("ArrowRight")
    assert_presenting(page, sprint, 5)
    page.keyboard.press("ArrowLeft")
    assert_presenting(page, sprint, 4)
    page.get_by_role("button", name="Back").click()
    assert_presenting(page, sprint, 3)

    # The URL holds the screen: opening it again shows the same section.
    page.goto(page.url)
    assert_presenting(page, sprint, 3)

    page.keyboard.press("Escape")
    page.wait_for_url(lambda url: "present" not in parse_qs(urlsplit(url).query))
    wait_for_script(page, "Sprint overview")
    expect(page.get_by_test_id("stSidebar")).to_be_visible()
    expect(page.get_by_role("combobox", name="Sprint", exact=True)).to_have_value(sprint)
    assert query_of(page) == {"sprint": sprint_param}
    assert page.evaluate(OVERFLOW) == []


def test_presentation_link_opens_that_sprint_and_section(page, app_url: str) -> None:
    page.set_viewport_size(PROJECTOR)
    page.goto(f"{app_url}/?present=1&section=bias&sprint=S2")
    assert_presenting(page, "Sprint 2 - Boosting", 4)
    assert query_of(page)["sprint"] == ["S2"]
