from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def open_page(page: str | None = None, **params: str) -> AppTest:
    """Run the whole app on the store ``$SPRINTBOARD_DB`` points at, with ``params`` in the URL, and switch to
    ``page``."""
    at = AppTest.from_file(APP, default_timeout=120)
    for name, value in params.items():
        at.query_params[name] = value
    at.run()
    if page:
        at.switch_page(page)
        at.run()
    return at


@pytest.fixture
def editable_app(demo_store, use_store, monkeypatch):
    """The app on a private copy of the demo store with editing set to ``editing`` (``None``: the default)."""

    def open_with(page: str, editing: str | None, **params: str) -> AppTest:
        if editing is None:
            monkeypatch.delenv("SPRINTBOARD_EDITING", raising=False)
        else:
            monkeypatch.setenv("SPRINTBOARD_EDITING", editing)
        use_store(demo_store)
        at = open_page(page, **params)
        assert not at.exception, [e.message for e in at.exception]
        return at

    return open_with


@pytest.fixture
def app(demo_build, use_store):
    """The whole app (navigation included) on the demo store; call it with a page path and query params."""

    def open_on_demo(page: str | None = None, **params: str) -> AppTest:
        use_store(demo_build["db"])
        at = open_page(page, **params)
        assert not at.exception, [e.message for e in at.exception]
        return at

    return open_on_demo
