"""The glossary explains the words the pages use, and filters as one types (the filter lives in the URL)."""

from __future__ import annotations

from sprintboard.ui.glossary_terms import TERMS

PAGE = "pages/glossary.py"


def test_every_term_is_listed_under_its_area(app):
    at = app(PAGE)
    text = " ".join(m.value for m in at.markdown)
    for term in TERMS:
        assert f"**{term}**" in text
    assert "#### Bias checks" in text and "#### Research" in text


def test_a_filter_keeps_the_matching_terms_and_goes_into_the_url(app):
    at = app(PAGE)
    at.text_input(key="glossary_filter").input("ratio").run()
    shown = [m.value for m in at.markdown if m.value.startswith("**")]
    assert any(line.startswith("**Disparity ratio**") for line in shown)
    assert not any(line.startswith("**Burndown**") for line in shown)
    assert at.query_params["q"] in ("ratio", ["ratio"])
