"""Presentation mode (``?present=1``): for a projector at the sprint review.

The sidebar and Streamlit's toolbar are hidden, type is larger, and the review is shown one agenda section per
screen, moved through with Back/Next buttons or the keyboard (Left/Right arrows). The section lives in the URL
(``?present=1&section=bias``), so a link opens the same screen. The styling is the app's own fixed CSS; no user text
goes into it.
"""

from __future__ import annotations

import streamlit as st

_STYLE = """
<style>
  [data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stToolbar"],
  header[data-testid="stHeader"] { display: none !important; }
  .block-container { padding-top: 1.2rem !important; max-width: 1240px !important; }
  html, body, [data-testid="stMarkdownContainer"] p, [data-testid="stMarkdownContainer"] li { font-size: 1.35rem; }
  [data-testid="stMetricValue"] p { font-size: 2.6rem !important; }
  [data-testid="stMetricLabel"] p { font-size: 1.2rem !important; }
  [data-testid="stCaptionContainer"] { font-size: 1.05rem !important; }
</style>
"""


def presenting() -> bool:
    """Whether the page is in presentation mode (``?present=1``); styles the page when it is."""
    if st.query_params.get("present") != "1":
        return False
    st.html(_STYLE)
    return True


def start_presenting_control() -> None:
    """A button that switches to presentation mode at the first agenda section."""
    if st.button("Present this sprint", icon=":material/slideshow:", help="Full screen, large type, one section "
                 "per screen; Left/Right arrows move through the agenda."):
        st.query_params["present"] = "1"
        st.query_params["section"] = "goal"
        st.rerun()


def _go(agenda: list[str], index: int) -> None:
    st.query_params["section"] = agenda[max(0, min(index, len(agenda) - 1))]


def _exit() -> None:
    for param in ("present", "section"):
        st.query_params.pop(param, None)


def agenda_navigation(agenda: list[str], titles: dict[str, str]) -> str:
    """Back / position / Next / Exit for ``agenda`` (section keys in order); returns the section to show.

    The buttons move the section in the URL before the page reruns (callbacks), so the screen they lead to is drawn
    in the same run."""
    current = st.query_params.get("section")
    index = agenda.index(current) if current in agenda else 0
    columns = st.columns([2, 6, 2, 2])
    columns[0].button("Back", icon=":material/arrow_back:", shortcut="Left", disabled=index == 0,
                      on_click=_go, args=(agenda, index - 1))
    columns[2].button("Next", icon=":material/arrow_forward:", shortcut="Right", disabled=index == len(agenda) - 1,
                      on_click=_go, args=(agenda, index + 1))
    columns[3].button("Exit", icon=":material/close:", shortcut="Esc", on_click=_exit)
    columns[1].markdown(" → ".join(f"**{titles[key]}**" if position == index else titles[key]
                                   for position, key in enumerate(agenda)))
    if current != agenda[index]:
        st.query_params["section"] = agenda[index]
    return agenda[index]
