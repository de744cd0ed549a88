"""Showing text that came from users or files: as text, never as HTML or as markdown formatting."""

from __future__ import annotations

import re

_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|~<>$:])")


def escape_markdown(text: object) -> str:
    """``text`` with every character Streamlit's markdown would interpret escaped, so it shows exactly as written."""
    return _MARKDOWN_SPECIALS.sub(r"\\\1", str(text))
