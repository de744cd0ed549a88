"""Format detection: every real export is told by its content, and a file that is one of the formats but cannot be
read is refused for its real reason (its encoding, its separator, a missing column, broken YAML), never with the
generic "is not a format Sprintboard reads"."""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path

import pytest

from sprintboard.demo.backlog import write_backlog
from sprintboard.ingest.detect import detect_file, units_for
from sprintboard.store import InputError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
EXPORTS = FIXTURES / "wandb_exports"
KINGB12_RUNS = EXPORTS / "runs_table" / "kingb12__text_aug_experiments__wandb_export.csv"
JIRA_CSV = FIXTURES / "jira" / "harshal-08__Jira-Sprint-1__Jira.csv"
NOT_A_FORMAT = "is not a format Sprintboard reads"

# Every real export among the fixtures, with the format it is.
REAL_FILES = {
    **{path: "wandb-runs-csv" for path in (EXPORTS / "runs_table").glob("*.csv")},
    **{path: "wandb-history-csv" for path in (EXPORTS / "api_dump").glob("*.csv")},
    **{path: "wandb-chart-csv" for path in (EXPORTS / "chart_export").glob("*.csv")},
    JIRA_CSV: "jira-csv",
    **{path: "jira-json" for path in (FIXTURES / "jira").glob("*.json")},
}


def _rows(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def _csv_text(rows: list[list[str]], delimiter: str = ",") -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\n").writerows(rows)
    return out.getvalue()


def _refusal(path: Path) -> str:
    """What ingesting ``path`` says: detection's refusal, or else the refusal of the reader it chose."""
    with pytest.raises(InputError) as error:
        detect_file(path).parse()
    assert error.value.path == str(path)
    return error.value.problem


def test_every_real_export_is_told_by_its_content():
    assert len(REAL_FILES) == 11
    for path, expected in REAL_FILES.items():
        assert detect_file(path).format == expected, path.name
    units = list(units_for(FIXTURES / "wandb"))
    assert [(unit.path.name, unit.format) for unit in units if unit.format] == [
        ("offline-run-20261123_091246-ira2n5hh", "wandb-run-folder"), ("run-20241012_160630-jqe8zy9r",
                                                                       "wandb-run-folder")]


def test_the_demo_backlog_is_a_backlog_yaml_file(tmp_path):
    assert detect_file(write_backlog(tmp_path / "backlog.yaml")).format == "backlog-yaml"


# -- separators


def test_a_runs_table_resaved_with_semicolons_is_refused_naming_the_separator(tmp_path):
    path = tmp_path / "runs.csv"
    path.write_text(_csv_text(_rows(KINGB12_RUNS), ";"), encoding="utf-8")
    assert _refusal(path) == ("is a W&B runs table with its columns separated by ';', where W&B writes ',': save it "
                              "as CSV with ',' between the columns")


def test_a_jira_export_with_semicolons_names_jira(tmp_path):
    path = tmp_path / "jira.csv"
    path.write_text(_csv_text(_rows(JIRA_CSV), ";"), encoding="utf-8-sig")  # with a byte-order mark, as Excel
    assert _refusal(path).startswith("is a Jira CSV export with its columns separated by ';', where Jira writes ','")


def test_a_tab_separated_backlog_table_is_refused_naming_tabs(tmp_path):
    path = tmp_path / "items.csv"
    path.write_text("id\ttitle\tpoints\nB-1\tBaseline\t3\n", encoding="utf-8")
    assert _refusal(path).startswith("is a backlog table with its columns separated by tabs, where Sprintboard "
                                     "reads ','")


def test_semicolons_inside_a_comma_separated_file_change_nothing(tmp_path):
    path = tmp_path / "items.csv"
    path.write_text("id,title,points\nB-1,Baseline; then a bigger model,3\n", encoding="utf-8")
    unit = detect_file(path)
    assert unit.format == "backlog-csv"
    assert [item.title for item in unit.parse().items] == ["Baseline; then a bigger model"]


def test_a_semicolon_file_of_no_known_header_is_still_not_a_format(tmp_path):
    path = tmp_path / "prices.csv"
    path.write_text("Artikel;Preis;Menge\nTisch;12,50;3\n", encoding="utf-8")
    assert _refusal(path).startswith(NOT_A_FORMAT)


# -- encodings


def test_a_latin1_runs_table_is_refused_by_the_reader_at_its_first_latin1_byte(tmp_path):
    path = tmp_path / "runs.csv"
    data = ("Name,State,Notes,User,Tags,Created,Runtime,Sweep,acc\n"
            "café-run,finished,résumé,ana,,2026-01-05T10:00:00.000Z,120,,0.75\n").encode("latin-1")
    path.write_bytes(data)
    assert detect_file(path).format == "wandb-runs-csv"
    assert _refusal(path) == f"is not UTF-8 text (byte {data.index('é'.encode('latin-1'))})"


@pytest.mark.parametrize(("codec", "encoding"), [("utf-16-le", "UTF-16"), ("utf-16-be", "UTF-16"),
                                                 ("utf-32-le", "UTF-32"), ("utf-32-be", "UTF-32")])
def test_a_runs_table_in_utf16_or_utf32_is_refused_naming_the_encoding(tmp_path, codec, encoding):
    path = tmp_path / "runs.csv"
    bom = {"utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE,
           "utf-32-le": codecs.BOM_UTF32_LE, "utf-32-be": codecs.BOM_UTF32_BE}[codec]
    path.write_bytes(bom + KINGB12_RUNS.read_text(encoding="utf-8").encode(codec))
    assert _refusal(path) == (f"is a W&B runs table saved as {encoding} (it starts with a {encoding} byte-order "
                              "mark), and Sprintboard reads text as UTF-8: save it as UTF-8")


def test_utf16_text_of_no_known_format_is_not_called_binary(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_bytes("shopping list\nmilk\n".encode("utf-16"))
    assert _refusal(path) == ("is text saved as UTF-16 (it starts with a UTF-16 byte-order mark), and Sprintboard "
                              "reads text as UTF-8")


def test_a_backlog_in_utf16_is_named_a_backlog(tmp_path):
    path = tmp_path / "backlog.yaml"
    path.write_bytes("sprints:\n  - id: S1\n    name: Sprint 1\n".encode("utf-16"))
    assert _refusal(path).startswith("is a backlog YAML file saved as UTF-16")


def test_a_utf8_byte_order_mark_is_still_read(tmp_path):
    path = tmp_path / "runs.csv"
    path.write_bytes(codecs.BOM_UTF8 + KINGB12_RUNS.read_bytes())
    unit = detect_file(path)
    assert unit.format == "wandb-runs-csv" and len(unit.parse()) == 5


# -- Jira without a required column


@pytest.mark.parametrize("column", ["Issue key", "Summary"])
def test_a_jira_export_without_a_required_column_is_refused_naming_it(tmp_path, column):
    rows = _rows(JIRA_CSV)
    keep = [index for index, name in enumerate(rows[0]) if name != column]
    path = tmp_path / "jira.csv"
    path.write_text(_csv_text([[row[index] for index in keep] for row in rows]), encoding="utf-8")
    assert detect_file(path).format == "jira-csv"
    assert _refusal(path) == f"has no column {column!r} (a required column)"


# -- backlog YAML that does not parse


def test_a_backlog_with_a_tab_in_its_indentation_names_the_line(tmp_path):
    path = tmp_path / "backlog.yaml"
    path.write_text("sprints:\n  - id: S1\n    name: Sprint 1\nitems:\n  - id: B-1\n    title: Baseline\n"
                    "\tpoints: 3\n", encoding="utf-8")
    assert detect_file(path).format == "backlog-yaml"
    assert _refusal(path) == "is not valid YAML at line 7: found character '\\t' that cannot start any token"


def test_a_backlog_with_a_key_twice_is_refused_naming_it(tmp_path):
    path = tmp_path / "backlog.yaml"
    path.write_text("items:\n  - id: B-1\n    title: Baseline\n    points: 3\n    points: 8\n", encoding="utf-8")
    assert _refusal(path) == "items[0]: key 'points' appears twice (lines 4 and 5)"


def test_a_latin1_backlog_names_its_first_latin1_byte(tmp_path):
    path = tmp_path / "backlog.yaml"
    path.write_bytes("items:\n  - id: B-1\n    title: Café\n".encode("latin-1"))
    assert _refusal(path) == "is not UTF-8 text (byte 33)"


def test_broken_yaml_without_backlog_keys_is_not_a_format(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("model: resnet\n\tlr: 0.1\n", encoding="utf-8")
    assert _refusal(path).startswith(NOT_A_FORMAT)
