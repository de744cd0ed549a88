"""The README's screenshot, ``docs/images/overview.png``: the Overview of the demo store, 1280 pixels wide, on the
sprint the demo opens on. Written only when asked, so that a normal test run leaves the tracked image alone:

    SPRINTBOARD_README_IMAGE=1 .venv/bin/python -m pytest tests/browser/test_readme_image.py
"""

from __future__ import annotations

import os
import struct

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import REPO

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.environ.get("SPRINTBOARD_README_IMAGE") != "1",
                       reason="writes docs/images/overview.png only with SPRINTBOARD_README_IMAGE=1"),
]

IMAGE = REPO / "docs" / "images" / "overview.png"
WIDTH = 1280
# Tall enough for the picture below: Streamlit lays the page out by the window's width only.
WINDOW = {"width": WIDTH, "height": 1500}
MARGIN_PX = 12  # less than the gap to the next row of cards


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's header chunk."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG file"
    return struct.unpack(">II", data[16:24])


def test_write_the_readme_screenshot_of_the_overview(page, open_page) -> None:
    page.set_viewport_size(WINDOW)
    open_page("/")  # no sprint in the URL: the sprint a visitor sees first
    expect(page.get_by_role("combobox", name="Sprint", exact=True)).not_to_have_value("")
    burndown = page.get_by_role("heading", name="Burndown", exact=True)
    expect(page.locator('[data-testid="stPlotlyChart"] svg.main-svg').first).to_be_visible()
    # The picture ends below the row of the burndown and the hypotheses: title, goal, numbers and those two cards.
    row = page.get_by_test_id("stHorizontalBlock").filter(has=burndown).first
    box = row.bounding_box()
    height = round(box["y"] + box["height"]) + MARGIN_PX
    assert height <= WINDOW["height"], f"the first row of cards ends below the {WINDOW['height']} px window"
    data = page.screenshot(clip={"x": 0, "y": 0, "width": WIDTH, "height": height}, animations="disabled",
                           caret="hide")
    IMAGE.parent.mkdir(parents=True, exist_ok=True)
    IMAGE.write_bytes(data)
    assert png_size(IMAGE.read_bytes()) == (WIDTH, height)
