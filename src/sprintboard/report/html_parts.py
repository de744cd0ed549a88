"""Building blocks of the HTML report: escaping, tables, tiles, number formats, the glossary, the style sheet
and the script that fits the charts to paper.

Escaping is the default: every helper here escapes what it is given unless it is already :class:`Html` (markup this
package built itself), so text from the store -- names, goals, statements, notes, reasons -- always shows as text.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence
from datetime import date, datetime

from sprintboard.formatting import signed as signed_delta

NOTHING = "—"


class Html(str):
    """Markup that is safe to put into the page as it is: built by these helpers from escaped parts."""


def esc(value: object) -> Html:
    """``value`` as text inside HTML (quotes escaped too, so it is safe in attributes); :class:`Html` stays as is."""
    if isinstance(value, Html):
        return value
    return Html(html.escape("" if value is None else str(value), quote=True))


def join(parts: Iterable[object], separator: str = "\n") -> Html:
    return Html(separator.join(esc(part) for part in parts))


def tag(name: str, content: object = "", css_class: str | None = None) -> Html:
    """``<name class="...">content</name>`` with ``content`` escaped unless it is :class:`Html`."""
    attribute = f' class="{esc(css_class)}"' if css_class else ""
    return Html(f"<{name}{attribute}>{esc(content)}</{name}>")


def table(headers: Sequence[str], rows: Iterable[Sequence[object]], css_class: str | None = None) -> Html:
    """A plain table: one header row, then one row per item of ``rows`` (cells escaped unless :class:`Html`)."""
    head = "".join(f"<th>{esc(header)}</th>" for header in headers)
    body = "\n".join("<tr>" + "".join(f"<td>{esc(cell)}</td>" for cell in row) + "</tr>" for row in rows)
    attribute = f' class="{esc(css_class)}"' if css_class else ""
    return Html(f"<table{attribute}>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>")


def tile(label: str, value: object, note: object = None, tone: str | None = None) -> Html:
    """One headline number: a small label, the value large, an optional note under it; ``tone`` is ``good`` or
    ``bad`` to colour the note."""
    note_html = tag("div", note, f"note {tone}" if tone else "note") if note else ""
    return Html(f'<div class="tile"><div class="label">{esc(label)}</div><div class="value">{esc(value)}</div>'
                f"{note_html}</div>")


def tiles(items: Iterable[Html]) -> Html:
    return Html(f'<div class="tiles">{join(items, "")}</div>')


def badge(word: str) -> Html:
    """A verdict or status as a coloured word; the colour class comes from the word, reduced to letters."""
    css = "".join(character for character in word.lower() if character.isalpha())
    return Html(f'<span class="badge {css}">{esc(word)}</span>')


def number(value: float | None) -> str:
    """A metric value with four significant digits, as the dashboard shows it; a dash when there is none."""
    return NOTHING if value is None or not math.isfinite(value) else f"{value:.4g}"


def signed(value: float | None) -> str:
    """A delta as the dashboard shows it (:func:`sprintboard.formatting.signed`); a dash when there is none."""
    return signed_delta(value) or NOTHING


def day(value: date | datetime | None) -> str:
    return NOTHING if value is None else f"{value:%a %d %b %Y}"


def moment(value: datetime | None) -> str:
    return NOTHING if value is None else f"{value:%Y-%m-%d %H:%M} UTC"


# The terms the report uses, for readers who do not sit in the team's reviews.
GLOSSARY = (
    ("Story points", "The team's relative estimate of an item's size; items done counts finished items."),
    ("Burndown", "Work remaining in the sprint over time, computed as Jira does: finishing an item lowers it, "
                 "adding one raises it (scope change). The dashed guideline falls evenly over the working days."),
    ("Hypothesis", "A testable statement with success criteria; runs linked to it are its evidence."),
    ("Supported / refuted", "Every criterion is met / a criterion is clearly not met by the finished runs."),
    ("Inconclusive", "The evidence does not decide: runs disagree, or the threshold lies within their spread."),
    ("Open / expired", "No finished run yet / still none when the time-box or the sprint ran out."),
    ("Decision", "A person's recorded verdict; it overrides the computed one."),
    ("Headline metric", "The model metric the team steers by, read from each finished run's final summary."),
    ("Best so far", "The best headline value of this sprint and every earlier one; it never gets worse."),
    ("Baseline / target", "The value to beat and the value the team aims for, set in the backlog file."),
    ("Bias verdict", "Each group's metric divided by the reference group's, with a bootstrap interval: Pass when "
                     "the interval lies inside the band, Fail when outside, Inconclusive when it straddles an edge, "
                     "Insufficient data when a group is too small to judge."),
    ("Definition of Done", "Gates each item must pass: baseline reached (its hypothesis is supported), "
                           "reproducible (runs record a git commit and a config), documented (runs have notes), "
                           "bias check (the runs' predictions pass it); n/a where a gate does not apply."),
)


STYLE = """
:root { --ink: #1f2328; --muted: #57606a; --line: #d0d7de; --soft: #f6f8fa;
        --good: #1a7f37; --bad: #cf222e; --warn: #9a6700; --info: #0969da; }
* { box-sizing: border-box; }
body { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; color: var(--ink);
       max-width: 1100px; margin: 0 auto; padding: 24px; }
h1 { font-size: 28px; margin: 0 0 4px; }
h2 { font-size: 22px; margin: 0 0 12px; padding-bottom: 4px; border-bottom: 2px solid var(--line); }
section { margin: 36px 0; }
.meta { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 12px 0 0; }
.meta dt { color: var(--muted); }
.meta dd { margin: 0; }
.caption, .note { color: var(--muted); font-size: 14px; }
.tiles { display: flex; flex-wrap: wrap; gap: 12px; margin: 12px 0; }
.tile { flex: 1 1 120px; border: 1px solid var(--line); border-radius: 6px; padding: 10px 14px;
        background: var(--soft); }
.tile .label { color: var(--muted); font-size: 14px; }
.tile .value { font-size: 26px; font-weight: 600; }
.note.good { color: var(--good); } .note.bad { color: var(--bad); }
table { border-collapse: collapse; width: 100%; margin: 12px 0; font-size: 14px; }
th, td { border: 1px solid var(--line); padding: 6px 8px; text-align: left; vertical-align: top; }
thead th { background: var(--soft); }
.badge { display: inline-block; padding: 0 8px; border-radius: 10px; font-size: 13px; font-weight: 600;
         border: 1px solid currentColor; white-space: nowrap; }
.badge.supported, .badge.pass { color: var(--good); }
.badge.refuted, .badge.fail { color: var(--bad); }
.badge.inconclusive, .badge.insufficientdata { color: var(--warn); }
.badge.open { color: var(--info); } .badge.expired { color: var(--muted); }
.chart { margin: 8px 0; }
.callout { border-left: 4px solid var(--warn); background: #fff8c5; padding: 8px 12px; margin: 12px 0; }
dl.glossary dt { font-weight: 600; margin-top: 8px; }
dl.glossary dd { margin: 0 0 0 16px; }
ul.decisions li { margin: 4px 0; }
@media print {
  body { max-width: none; padding: 0; font-size: 12pt; }
  section { break-before: page; margin: 0 0 24px; }
  main > section:first-child { break-before: auto; }
  table, tr, .tile, .chart, .callout { break-inside: avoid; }
  thead { display: table-header-group; }
  .modebar-container { display: none !important; }
  .tile { background: none; }
}
"""

# Plotly draws each chart for the window's width; paper is narrower, so the charts are redrawn at a width that fits
# A4 and Letter before printing, and given back to the window after.
PRINT_SCRIPT = """
window.addEventListener("beforeprint", function () {
  document.querySelectorAll(".js-plotly-plot").forEach(function (chart) { Plotly.relayout(chart, {width: 680}); });
});
window.addEventListener("afterprint", function () {
  document.querySelectorAll(".js-plotly-plot").forEach(function (chart) {
    Plotly.relayout(chart, {width: null, autosize: true});
  });
});
"""
