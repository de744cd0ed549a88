"""CSV cells are typed one by one, never by a column-wide guess; malformed files are refused with the line at fault."""

from __future__ import annotations

import csv
import io
import math

import pytest

from sprintboard.ingest import csv_cells
from sprintboard.ingest.csv_cells import cell_value, head_records, read_csv
from sprintboard.store.errors import InputError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("732", 732),
        ("0.001", 0.001),
        ("9.900990099009901e-06", 9.900990099009901e-06),
        ("-5.412692070007324", -5.412692070007324),
        ("true", True),
        ("False", False),
        ("007", "007"),  # an id with leading zeros is not the number 7
        ("adamw", "adamw"),
        ('["gene","phenotype"]', ["gene", "phenotype"]),
        ("{'_type': 'html-file', 'size': 276}", {"_type": "html-file", "size": 276}),  # pandas writes dicts as reprs
        ("[not json", "[not json"),
        ("-", "-"),
    ],
)
def test_each_cell_is_typed_on_its_own(text, expected):
    value = cell_value(text)
    assert value == expected and type(value) is type(expected)


def test_nan_and_infinities_are_floats():
    assert math.isnan(cell_value("NaN")) and math.isnan(cell_value("nan"))
    assert cell_value("Infinity") == math.inf and cell_value("-inf") == -math.inf


def test_a_bom_and_crlf_line_ends_are_read_like_plain_text(tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes('\ufeff"Name","State"\r\n"a, b","finished"\r\n'.encode())
    table = read_csv(path)
    assert table.header == ["Name", "State"]
    assert list(table.rows()) == [(2, ["a, b", "finished"])]
    assert head_records(path.read_bytes()[:12], whole_file=False) == []  # the head stops inside the header
    assert head_records(path.read_bytes(), whole_file=True) == [["Name", "State"], ["a, b", "finished"]]


def test_a_ragged_row_is_refused_with_its_line(tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text("Step,a - loss\n0,1.5\n1,1.2,9\n")
    with pytest.raises(InputError) as caught:
        list(read_csv(path).rows())
    assert caught.value.problem == "line 3 has 3 values where the header has 2 columns"


def test_a_duplicated_column_is_refused_by_name(tmp_path):
    path = tmp_path / "twice.csv"
    path.write_text("Name,State,lr,lr\nrun,finished,0.1,0.2\n")
    with pytest.raises(InputError) as caught:
        read_csv(path)
    assert caught.value.problem == "column 'lr' appears more than once in the header"


def test_an_unclosed_quote_is_refused(tmp_path):
    path = tmp_path / "quote.csv"
    path.write_text('Name,State\n"run,finished\n')
    with pytest.raises(InputError, match="is not valid CSV at line"):
        list(read_csv(path).rows())


def test_an_integer_too_long_for_python_stays_its_digits():
    digits = "9" * 5000
    value = cell_value(digits)
    assert value == digits and isinstance(value, str)
    assert cell_value(str(10**400)) == 10**400  # an int still; the parsers keep it as digits (large_numbers)


def test_a_line_longer_than_the_limit_is_refused_before_the_rest_is_read(tmp_path, monkeypatch):
    monkeypatch.setattr(csv_cells, "MAX_LINE_BYTES", 1000)
    path = tmp_path / "long.csv"
    path.write_text("Name,State\na,finished\n" + "x," * 600 + "x\nb,finished\n")
    table = read_csv(path)
    rows = table.rows()
    assert next(rows) == (2, ["a", "finished"])
    with pytest.raises(InputError) as caught:
        next(rows)
    assert caught.value.problem.startswith("line 3 is longer than 1,000 bytes, the most Sprintboard reads")


def test_a_row_whose_quoted_cell_spans_lines_is_bounded_too(tmp_path, monkeypatch):
    monkeypatch.setattr(csv_cells, "MAX_LINE_BYTES", 1000)
    path = tmp_path / "long_cell.csv"
    path.write_text('Name,Notes\na,"' + "a short line\n" * 100 + '"\n')
    with pytest.raises(InputError) as caught:
        list(read_csv(path).rows())
    assert caught.value.problem.startswith("the row that runs to line 78 is longer than")  # 77 lines of 13 bytes


def test_text_that_is_not_utf8_is_refused_naming_the_byte_in_the_file(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes(b"\xef\xbb\xbfName,Notes\na,caf\xe9\n")
    with pytest.raises(InputError) as caught:
        list(read_csv(path).rows())
    assert caught.value.problem == "is not UTF-8 text (byte 19)"  # the BOM counts: the offset a hex editor shows


@pytest.mark.parametrize("text", [
    "Name,State\ra,finished\rb,crashed\r",  # a lone CR ends a line, as old spreadsheets write them
    'Name,Notes\r\na,"one\rtwo"\r\nb,"three\r\nfour"\r\n',  # line ends inside quoted cells are kept as written
    "Name,State\n\na,finished\n\n",  # blank lines are skipped
])
def test_rows_and_line_numbers_are_those_of_the_csv_module_over_the_whole_text(tmp_path, text):
    path = tmp_path / "export.csv"
    path.write_bytes(text.encode())
    reader = csv.reader(io.StringIO(text, newline=""))
    expected = [(reader.line_num, row) for row in reader if row][1:]
    assert list(read_csv(path).rows()) == expected
