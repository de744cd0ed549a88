"""Who may change what from the app: read-only by default; editing for everyone, or for signed-in users only.

The app reads the store for everyone it serves. What people can *write* from the pages -- hypothesis decisions,
retro notes -- is set by ``editing``:

* ``off`` (the default): nobody edits from the app; decisions are recorded with ``sprintboard decide``;
* ``everyone``: anyone who can open the app may edit (a team-internal deployment); each change records the name
  the person types;
* ``signed-in``: only users signed in through Streamlit's built-in authentication (``st.login``, an OpenID Connect
  provider configured under ``[auth]`` in ``.streamlit/secrets.toml``); each change records the signed-in name.

``editing`` comes from the environment variable ``SPRINTBOARD_EDITING``, else from ``[sprintboard] editing`` in
``.streamlit/secrets.toml``. An unknown value is treated as ``off``, and the page says so.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import streamlit as st

MODES = ("off", "everyone", "signed-in")


@dataclass(frozen=True)
class EditAccess:
    """Whether this session may edit, who it is (when known), and a sentence saying why not when it may not."""

    allowed: bool
    mode: str
    user: str | None = None
    reason: str = ""


def configured_mode() -> tuple[str, str | None]:
    """The editing mode and, when the configured value is not a mode, the value (so a page can say so)."""
    value = os.environ.get("SPRINTBOARD_EDITING")
    if value is None:
        try:
            value = st.secrets.get("sprintboard", {}).get("editing")
        except (FileNotFoundError, KeyError, AttributeError):  # no secrets file: the default
            value = None
        except Exception:  # noqa: BLE001 - a secrets file Streamlit cannot parse: stay read-only
            value = None
    if value is None:
        return "off", None
    mode = str(value).strip().lower()
    return (mode, None) if mode in MODES else ("off", str(value))


def _signed_in_name() -> str | None:
    try:
        if st.user.is_logged_in:
            return st.user.get("name") or st.user.get("email") or "signed-in user"
    except Exception:  # noqa: BLE001 - authentication not configured: nobody is signed in
        return None
    return None


def edit_access() -> EditAccess:
    """This session's right to edit (see the module docstring)."""
    mode, unknown = configured_mode()
    if unknown is not None:
        return EditAccess(False, mode, reason=f"Editing is off: {unknown!r} is not one of {', '.join(MODES)}.")
    if mode == "off":
        return EditAccess(False, mode, reason="This dashboard is read-only. Decisions are recorded with "
                                               "`sprintboard decide`, or by switching editing on (see README).")
    if mode == "everyone":
        return EditAccess(True, mode)
    name = _signed_in_name()
    if name is None:
        return EditAccess(False, mode, reason="Sign in to record decisions and notes.")
    return EditAccess(True, mode, user=name)


def sign_in_control(access: EditAccess, container=st) -> None:
    """A sign-in button when editing is for signed-in users and this session is not signed in."""
    if access.mode == "signed-in" and not access.allowed:
        try:
            container.button("Sign in", on_click=st.login, icon=":material/login:")
        except Exception as exc:  # noqa: BLE001 - [auth] missing from secrets.toml
            container.warning(f"Sign-in is not configured: {exc}")
