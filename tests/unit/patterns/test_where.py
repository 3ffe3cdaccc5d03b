"""A pattern fault about one key is placed as AWS's matcher places it: line and column of the
offending value's last character (AWS's documented example: column 20)."""

from __future__ import annotations

from lamina.patterns import located


def test_a_scalar_where_an_array_belongs_is_placed_at_its_last_character() -> None:
    text = '{"source": "aws.ec2"}'
    assert located(text, '"source" must be an object or an array') == (
        ' at [Source: (String)"{"source": "aws.ec2"}"; line: 1, column: 20]'
    )


def test_lines_count_and_columns_restart_on_each_line() -> None:
    text = '{\n  "detail": {\n    "state": [{"prefx": "run"}]\n  }\n}'
    assert located(text, "Unrecognized match type prefx").endswith("line: 3, column: 29]")


def test_a_fault_about_no_key_is_not_placed() -> None:
    assert located('{"a": []}', "Empty arrays are not allowed") == ""
