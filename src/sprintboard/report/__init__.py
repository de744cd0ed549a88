"""The sprint review as one self-contained HTML file: every section of the review, charts included, readable without
a network connection and printable (see :func:`sprintboard.report.html_report.render_report`)."""
