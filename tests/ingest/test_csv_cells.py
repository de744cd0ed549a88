"""CSV cells are typed one by one, never by a column-wide guess; malformed files are refused with the line at fault."""

from __future__ import annotations

import math

import pytest

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
