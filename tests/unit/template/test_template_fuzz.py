"""Malformed templates thrown at the template reader: it loads them or raises a TemplateError that
says what was wrong and where, never any other exception (a traceback to the user)."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lamina.errors import LaminaError
from lamina.template import load_stack

_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.sampled_from(
        ["", "x", "app.handler", "python3.11", "src/", "/items", "get", "ANY", "!Ref", "${X}"]
    ),
)
_KEYS = st.sampled_from(
    [
        "Type",
        "Properties",
        "Handler",
        "Runtime",
        "CodeUri",
        "Events",
        "Path",
        "Method",
        "Ref",
        "Fn::GetAtt",
        "Fn::Sub",
        "Fn::If",
        "Condition",
        "DependsOn",
        "Layers",
        "Environment",
        "Variables",
        "StageName",
        "DefinitionBody",
        "Auth",
        "Timeout",
        "MemorySize",
        "AttributeDefinitions",
        "KeySchema",
        "x",
    ]
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(_KEYS, inner, max_size=4)),
    max_leaves=12,
)
_TYPES = st.sampled_from(
    [
        "AWS::Serverless::Function",
        "AWS::Serverless::Api",
        "AWS::Serverless::HttpApi",
        "AWS::Serverless::SimpleTable",
        "AWS::DynamoDB::Table",
        "AWS::Lambda::Function",
        "AWS::ApiGateway::RestApi",
        "AWS::Unknown::Thing",
    ]
)
_RESOURCE = st.fixed_dictionaries(
    {"Type": _TYPES}, optional={"Properties": _VALUES, "Condition": _SCALARS}
)
_BASE: dict[str, Any] = {
    "Transform": "AWS::Serverless-2016-10-31",
    "Resources": {
        "Fn": {
            "Type": "AWS::Serverless::Function",
            "Properties": {
                "Handler": "app.handler",
                "Runtime": "python3.11",
                "CodeUri": ".",
                "Timeout": 3,
                "Environment": {"Variables": {"TABLE": {"Ref": "Table"}}},
                "Events": {
                    "Get": {"Type": "Api", "Properties": {"Path": "/items", "Method": "get"}},
                    "Http": {"Type": "HttpApi", "Properties": {"Path": "/h", "Method": "ANY"}},
                },
            },
        },
        "Table": {
            "Type": "AWS::Serverless::SimpleTable",
            "Properties": {"PrimaryKey": {"Name": "id", "Type": "String"}},
        },
    },
}
_PATHS = [
    ("Resources", "Fn", "Properties", "Handler"),
    ("Resources", "Fn", "Properties", "Runtime"),
    ("Resources", "Fn", "Properties", "CodeUri"),
    ("Resources", "Fn", "Properties", "Timeout"),
    ("Resources", "Fn", "Properties", "Environment"),
    ("Resources", "Fn", "Properties", "Events"),
    ("Resources", "Fn", "Properties", "Events", "Get", "Properties"),
    ("Resources", "Fn", "Properties", "Events", "Get", "Properties", "Path"),
    ("Resources", "Fn", "Properties", "Events", "Http", "Type"),
    ("Resources", "Fn", "Properties", "Layers"),
    ("Resources", "Table", "Properties"),
    ("Resources", "Table", "Properties", "PrimaryKey"),
    ("Resources", "Fn", "Properties", "Environment", "Variables", "TABLE"),
]


@st.composite
def _mutated(draw: st.DrawFn) -> dict[str, Any]:
    """The valid base with a few of its values replaced by anything."""
    template = json.loads(json.dumps(_BASE))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_PATHS))
        node = template
        for key in path[:-1]:
            node = node.get(key) if isinstance(node, dict) else None
            if not isinstance(node, dict):
                break
        else:
            node[path[-1]] = draw(_VALUES)
    return template


_TEMPLATE = _mutated() | st.fixed_dictionaries(
    {"Resources": st.dictionaries(st.sampled_from(["A", "B", "Fn", "Api"]), _RESOURCE)},
    optional={
        "Transform": st.sampled_from(["AWS::Serverless-2016-10-31", "Bad", ""]),
        "Parameters": st.dictionaries(_KEYS, _VALUES, max_size=2),
        "Conditions": st.dictionaries(_KEYS, _VALUES, max_size=2),
        "Globals": _VALUES,
        "Outputs": _VALUES,
    },
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(template=_TEMPLATE)
def test_any_template_loads_or_is_refused_with_a_template_error(
    template: dict[str, Any], tmp_path: Path
) -> None:
    path = tmp_path / "template.json"
    path.write_text(json.dumps(template))
    with contextlib.suppress(LaminaError):
        load_stack(path, stack_name="fuzz", region="us-east-1", account_id="123456789012")
