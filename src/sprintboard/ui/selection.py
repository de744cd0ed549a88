"""Selections that live in the URL (``?sprint=S2&run=abc``), so a copied link opens the same view."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import streamlit as st


def select_in_url(label: str, options: Sequence[str], param: str, *, format_func: Callable[[str], str] = str,
                  default: str | None = None, container=st, radio: bool = False) -> str | None:
    """A select box (or, with ``radio``, a row of radio buttons) whose choice is kept in the query parameter
    ``param``.

    The URL's value wins when it is one of ``options``; otherwise ``default`` (or the first option). ``None`` when
    there are no options.
    """
    if not options:
        return None
    options = list(options)
    wanted = st.query_params.get(param)
    if wanted not in options:
        wanted = default if default in options else options[0]
    key = f"url_select_{param}"
    if key in st.session_state and st.session_state[key] not in options:
        del st.session_state[key]
    widget = container.radio if radio else container.selectbox
    extra = {"horizontal": True} if radio else {}
    choice = widget(label, options, index=options.index(wanted), format_func=format_func, key=key, **extra)
    if st.query_params.get(param) != choice:
        st.query_params[param] = choice
    return choice


def multiselect_in_url(label: str, options: Sequence[str], param: str, *, default: Sequence[str] = (),
                       container=st, help: str | None = None) -> list[str]:
    """A multiselect whose choice is kept in the query parameter ``param`` as a comma-separated list.

    Values in the URL that are not ``options`` are dropped; with none left, ``default``.
    """
    options = list(options)
    wanted = [value for value in (st.query_params.get(param) or "").split(",") if value in options]
    if not wanted:
        wanted = [value for value in default if value in options]
    key = f"url_multiselect_{param}"
    if key in st.session_state and not set(st.session_state[key]) <= set(options):
        del st.session_state[key]
    choice = container.multiselect(label, options, default=wanted, key=key, help=help)
    joined = ",".join(choice)
    if st.query_params.get(param, "") != joined:
        st.query_params[param] = joined
    return choice
