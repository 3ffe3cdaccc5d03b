"""Reading template files: short-form tags, JSON, the source map, and unreadable input."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from lamina.errors import TemplateError
from lamina.template.loader import find_template, load, parse

FILE = Path("template.yaml")


def _parse(text: str) -> dict[str, object]:
    return parse(textwrap.dedent(text).lstrip(), FILE).data


def test_short_form_tags_become_the_long_json_form() -> None:
    """Every CloudFormation short-form tag loads as the JSON form CloudFormation itself uses."""
    data = _parse(
        """
        Resources:
          R:
            Type: AWS::X::Y
            Properties:
              Ref: !Ref Param
              Sub: !Sub "${A}-b"
              SubList: !Sub ["${A}", {A: x}]
              GetAttDotted: !GetAtt Res.Outputs.Name
              GetAttList: !GetAtt [Res, Arn]
              Join: !Join [",", [a, b]]
              Select: !Select [0, [a]]
              Split: !Split [",", "a,b"]
              If: !If [Cond, a, b]
              Equals: !Equals [a, b]
              And: !And [!Condition A, !Condition B]
              Or: !Or [!Condition A, !Condition B]
              Not: !Not [!Condition A]
              FindInMap: !FindInMap [M, a, b]
              Base64: !Base64 text
              ImportValue: !ImportValue Export
              GetAZs: !GetAZs ""
              Cidr: !Cidr ["10.0.0.0/16", 2, 8]
              Transform: !Transform {Name: AWS::Include, Parameters: {Location: s3://b/k}}
        """
    )
    props = data["Resources"]["R"]["Properties"]  # type: ignore[index]
    assert props == {
        "Ref": {"Ref": "Param"},
        "Sub": {"Fn::Sub": "${A}-b"},
        "SubList": {"Fn::Sub": ["${A}", {"A": "x"}]},
        "GetAttDotted": {"Fn::GetAtt": ["Res", "Outputs.Name"]},
        "GetAttList": {"Fn::GetAtt": ["Res", "Arn"]},
        "Join": {"Fn::Join": [",", ["a", "b"]]},
        "Select": {"Fn::Select": [0, ["a"]]},
        "Split": {"Fn::Split": [",", "a,b"]},
        "If": {"Fn::If": ["Cond", "a", "b"]},
        "Equals": {"Fn::Equals": ["a", "b"]},
        "And": {"Fn::And": [{"Condition": "A"}, {"Condition": "B"}]},
        "Or": {"Fn::Or": [{"Condition": "A"}, {"Condition": "B"}]},
        "Not": {"Fn::Not": [{"Condition": "A"}]},
        "FindInMap": {"Fn::FindInMap": ["M", "a", "b"]},
        "Base64": {"Fn::Base64": "text"},
        "ImportValue": {"Fn::ImportValue": "Export"},
        "GetAZs": {"Fn::GetAZs": ""},
        "Cidr": {"Fn::Cidr": ["10.0.0.0/16", 2, 8]},
        "Transform": {
            "Fn::Transform": {"Name": "AWS::Include", "Parameters": {"Location": "s3://b/k"}}
        },
    }


def test_dates_stay_strings() -> None:
    """An unquoted ``2010-09-09`` stays the string CloudFormation reads, not a date."""
    data = _parse(
        """
        AWSTemplateFormatVersion: 2010-09-09
        Resources: {R: {Type: AWS::X::Y}}
        """
    )
    assert data["AWSTemplateFormatVersion"] == "2010-09-09"


def test_source_map_records_the_line_of_every_key() -> None:
    """Lines are 1-based and keyed by the path of keys and list indexes, tags in long form."""
    template = parse(
        textwrap.dedent(
            """
            Resources:
              Fn:
                Type: AWS::Lambda::Function
                Properties:
                  Runtime: python3.12
                  Layers:
                    - !Ref Layer
                  Environment:
                    Variables:
                      A: !Sub "x"
            """
        ).lstrip(),
        FILE,
    )
    assert template.lines[("Resources",)] == 1
    assert template.lines[("Resources", "Fn", "Properties", "Runtime")] == 5
    assert template.lines[("Resources", "Fn", "Properties", "Layers", 0)] == 7
    assert template.lines[("Resources", "Fn", "Properties", "Layers", 0, "Ref")] == 7
    assert template.line_of("Resources", "Fn", "Properties", "Environment", "Variables", "A") == 10
    # A path the file does not spell out falls back to its longest known prefix.
    assert template.line_of("Resources", "Fn", "Properties", "Timeout") == 4


def test_json_templates_load_with_lines() -> None:
    """A JSON template loads with json, and still gets line numbers."""
    template = parse('{\n  "Resources": {\n    "R": {"Type": "AWS::X::Y"}\n  }\n}\n', FILE)
    assert template.data == {"Resources": {"R": {"Type": "AWS::X::Y"}}}
    assert template.line_of("Resources", "R", "Type") == 3


def test_invalid_json_names_the_line() -> None:
    """Broken JSON is a TemplateError carrying the line json reports."""
    with pytest.raises(TemplateError) as caught:
        parse('{\n  "Resources": {\n    "R": \n  }\n}\n', FILE)
    assert caught.value.line == 4
    assert "invalid JSON" in caught.value.message


def test_invalid_yaml_names_the_line() -> None:
    """A YAML syntax error is a TemplateError with the file and the line of the problem."""
    with pytest.raises(TemplateError) as caught:
        parse("Resources:\n  Fn:\n    Type: [unclosed\n  Other: 1\n", FILE)
    assert caught.value.file == "template.yaml"
    assert caught.value.line is not None and caught.value.line >= 3
    assert "invalid YAML" in str(caught.value)


def test_duplicate_keys_are_refused_with_their_line() -> None:
    """A key written twice is an error (CloudFormation refuses it; PyYAML would keep the last)."""
    with pytest.raises(TemplateError) as caught:
        parse("Resources:\n  R: {Type: AWS::X::Y}\n  R: {Type: AWS::X::Z}\n", FILE)
    assert caught.value.line == 3
    assert "duplicate key 'R'" in caught.value.message


def test_unknown_tag_is_an_error() -> None:
    """A tag CloudFormation does not define is reported, not silently dropped."""
    with pytest.raises(TemplateError, match="unknown tag !Bogus"):
        parse("Resources:\n  R: !Bogus x\n", FILE)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the template is empty"),
        ("# only a comment\n", "the template is empty"),
        ("- a\n- b\n", "mapping at its top level"),
        ("Description: no resources\n", "non-empty Resources section"),
    ],
)
def test_unusable_documents(text: str, message: str) -> None:
    """Empty documents, non-mappings and templates without resources are TemplateErrors at a line."""
    with pytest.raises(TemplateError, match=message) as caught:
        parse(text, FILE)
    assert caught.value.line == 1


def test_a_directory_means_its_template_file(tmp_path: Path) -> None:
    """A directory stands for the template.yaml, template.yml or template.json inside it."""
    (tmp_path / "template.yml").write_text("Resources: {R: {Type: AWS::X::Y}}\n")
    assert find_template(tmp_path) == tmp_path / "template.yml"
    assert load(tmp_path).file == tmp_path / "template.yml"
    (tmp_path / "empty").mkdir()
    with pytest.raises(TemplateError, match=r"no template\.yaml"):
        find_template(tmp_path / "empty")
    with pytest.raises(TemplateError, match="does not exist"):
        find_template(tmp_path / "missing.yaml")
