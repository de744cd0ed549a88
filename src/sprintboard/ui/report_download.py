"""A button that downloads the sprint review as the same self-contained HTML file ``sprintboard report`` writes."""

from __future__ import annotations

from datetime import UTC, datetime

import streamlit as st

from sprintboard.report.html_report import render_report, report_file_name
from sprintboard.ui.data import query


def report_download_button(sprint_id: str) -> None:
    """Show a "Download the review" button for ``sprint_id``; the HTML is built only when it is clicked.

    The report is cached per store version and hour: ``as_of`` is the current hour, so clicks within it reuse one
    document, and verdicts that depend on the time (expired time-boxes) are at most an hour old.
    """
    as_of = datetime.now(UTC).replace(tzinfo=None, minute=0, second=0, microsecond=0)
    st.download_button(
        "Download the review (HTML)",
        # A callable defers the work (a few seconds, ~5 MB with the chart library) to the click.
        data=lambda: query(render_report, sprint_id, as_of),
        file_name=report_file_name(sprint_id),
        mime="text/html",
        help="One file with every section of the review and its charts; it opens offline in any browser.",
        on_click="ignore",
        icon=":material/download:",
    )
