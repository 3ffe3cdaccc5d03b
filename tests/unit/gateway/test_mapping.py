"""Mapping templates (VTL) and their JSONPath, pure: the outputs AWS's mapping template reference
documents for $input, $util and Java's renderings, and clear faults for broken templates."""

from __future__ import annotations

import json

import pytest

from lamina.gateway import events, jsonpath, mapping
from lamina.gateway.events import Call

PETS = {
    "pets": [
        {"id": 1, "type": "dog", "price": 249.99},
        {"id": 2, "type": "cat", "price": 124.99},
    ],
    "available": True,
}


def render(template: str, body: str = "", **params: dict[str, str]) -> str:
    variables = {
        "input": mapping.Input(
            body,
            mapping.params_of(
                params.get("path", {}), params.get("querystring", {}), params.get("header", {})
            ),
        ),
        "util": mapping.UTIL,
        "context": {"stage": "prod", "requestId": "r-1"},
        "stageVariables": mapping.java({"color": "blue"}),
    }
    return mapping.compile(template, "test").render(variables)


def test_input_json_and_path_as_documented() -> None:
    """$input.json gives JSON text (strings quoted), $input.path objects whose fields and
    size() templates use; a wildcard path gives every match."""
    body = json.dumps(PETS)
    assert json.loads(render("$input.json('$.pets[0]')", body)) == PETS["pets"][0]
    assert render("$input.json('$.pets[1].type')", body) == '"cat"'
    assert render("$input.path('$.pets').size()", body) == "2"
    assert render("$input.path('$.pets[0].type')", body) == "dog"
    assert render("$input.json('$.pets[*].id')", body) == "[1,2]"
    assert render("$input.json('$..price')", body) == "[249.99,124.99]"
    # AWS's own example: the array mapped with #foreach.
    template = """#set($root = $input.path('$'))
[#foreach($pet in $root.pets){"id": $pet.id, "kind": "$pet.type"}#if($foreach.hasNext),#end#end]"""
    assert json.loads(render(template, body)) == [
        {"id": 1, "kind": "dog"},
        {"id": 2, "kind": "cat"},
    ]


def test_java_renderings() -> None:
    """Objects render as Java's Map and List do, booleans as true/false."""
    body = json.dumps({"a": {"b": [1, 2]}, "t": True})
    assert render("$input.path('$.a')", body) == "{b=[1, 2]}"
    assert render("$input.path('$.t')", body) == "true"
    assert render("#if($input.path('$.t'))yes#end", body) == "yes"


def test_params_search_path_then_query_then_header() -> None:
    """$input.params(x) looks in path, query string and headers in that order (headers without
    regard to case); a missing one is empty."""
    params = {"path": {"id": "p"}, "querystring": {"id": "q", "q": "v"}, "header": {"X-A": "h"}}
    assert (
        render(
            "$input.params('id')|$input.params('q')|$input.params('x-a')|$input.params('no')",
            **params,
        )
        == "p|v|h|"
    )
    assert render("$input.params().querystring.q", **params) == "v"


def test_util_functions() -> None:
    """$util as AWS documents it."""
    assert render("$util.escapeJavaScript('a\"b/c')") == 'a\\"b\\/c'
    assert render('$util.escapeJavaScript("it\'s")') == "it\\'s"
    assert render("$util.base64Encode('hello')") == "aGVsbG8="
    assert render("$util.base64Decode('aGVsbG8=')") == "hello"
    assert render("$util.urlEncode('a b&c')") == "a+b%26c"
    assert render("$util.urlDecode('a+b%26c')") == "a b&c"
    assert render("$util.parseJson('{\"x\": [1]}').x.size()") == "1"


def test_context_and_stage_variables() -> None:
    assert render("$context.stage/$context.requestId/$stageVariables.color") == "prod/r-1/blue"


def test_empty_body_is_an_empty_object_and_bad_json_a_payload_error() -> None:
    """An empty body reads as {}; a body that is not JSON raises PayloadError (API Gateway's
    400) only when the template reads it as JSON."""
    assert render("$input.json('$')") == "{}"
    assert render("$input.body", "not json") == "not json"
    with pytest.raises(mapping.PayloadError, match="Could not parse request body into json"):
        render("$input.json('$')", "not json")


def test_broken_templates_name_where() -> None:
    """A template Velocity cannot parse fails at compile time, naming it; one that fails while
    rendering (bad JSON to parseJson) fails with TemplateError."""
    with pytest.raises(mapping.TemplateError, match="route GET /x"):
        mapping.compile("#if($a", "route GET /x")
    with pytest.raises(mapping.TemplateError, match="test"):
        render("$util.parseJson('{')")


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("$", PETS),
        ("$.pets[-1].id", 2),
        ("$['available']", True),
        ("$.pets[*].type", ["dog", "cat"]),
        ("$.nothing", jsonpath.MISSING),
    ],
)
def test_jsonpath(path: str, expected: object) -> None:
    assert jsonpath.parse(path).find(PETS) == expected


def test_jsonpath_refuses_what_it_cannot_read() -> None:
    with pytest.raises(ValueError, match="starts with"):
        jsonpath.parse("pets")
    with pytest.raises(ValueError, match="cannot read"):
        jsonpath.parse("$.pets[?(@.id)]")


def test_string_literals_keep_backslashes_as_velocity_does() -> None:
    """Velocity 1.7 processes no backslash escapes in string literals (only \\uXXXX in double
    quotes, and a doubled quote for a quote): "\\\\'" is three characters, '\\d' two; the
    template's own text is output as written."""
    assert render('#set($s = "\\\\\'")$s.length()') == "3"
    assert render("#set($s = '\\d+')$s") == "\\d+"
    assert render('#set($s = "a\\nb")$s') == "a\\nb"
    assert render('#set($s = "\\u0041""")$s') == 'A"'
    assert render("#set($s = 'it''s')$s") == "it's"
    assert render('{"raw": "a\\\\b \\n"}') == '{"raw": "a\\\\b \\n"}'
    assert render("## a 'comment' \\\\\n$util.escapeJavaScript('\\x')") == "\\\\x"


def test_escape_javascript_then_replace_all_as_aws_documents() -> None:
    """AWS's idiom for a JSON property: escapeJavaScript writes ' as \\' (not valid JSON), and
    .replaceAll("\\\\'","'") turns it back, leaving the other escapes; the result parses."""
    body = '{"name": "O\'Brien", "says": "\\"hi\\"\\n"}'
    template = '{"input": "$util.escapeJavaScript($input.body).replaceAll("\\\\\'","\'")"}'
    rendered = render(template, body)
    assert json.loads(rendered) == {"input": body}
    assert "\\'" not in rendered
    escaped = '{"name": "$util.escapeJavaScript($input.path(\'$.name\'))"}'
    assert render(escaped, body) == '{"name": "O\\\'Brien"}'


def test_java_regular_expression_methods() -> None:
    """String.matches is a whole-string match, and replaceAll/replaceFirst take Java's
    replacement syntax ($1 for a group, \\$ for a dollar)."""
    assert render("$input.params('q').matches('[a-z]+')", querystring={"q": "abc"}) == "true"
    assert render("$input.params('q').matches('[a-z]')", querystring={"q": "abc"}) == "false"
    assert render("#set($s = 'a-b-c')$s.replaceAll('-(\\w)', '+$1')") == "a+b+c"
    assert render("#set($s = 'a-b-c')$s.replaceFirst('-', '\\$')") == "a$b-c"


def test_a_lazy_context_reads_as_the_whole_request_context() -> None:
    """$context built on demand (integrations/mapped.LazyContext): its cheap fields, a field
    of the full request context, a missing one and its Map methods answer as the dict would."""
    from lamina.gateway.integrations.mapped import LazyContext
    from lamina.gateway.routing import Match, Router

    from .support import api, lambda_route, request

    served = api(lambda_route("GET", "/pets/{id}"))
    match = Router([served]).match("GET", "localhost", "/Prod/pets/7")
    assert isinstance(match, Match)
    request_id = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"
    call = Call(request(path="/Prod/pets/7"), match, request_id, "t", 1700000000.5, "1" * 12, "r")
    variables = {"input": mapping.Input("", mapping.params_of({}, {}, {})), "util": mapping.UTIL}
    template = "$context.stage $context.requestId $context.identity.sourceIp $context.path"
    rendered = mapping.compile(template, "t").render({**variables, "context": LazyContext(call)})
    assert rendered == f"Prod {request_id} 127.0.0.1 /Prod/pets/7"
    whole = mapping.compile("#foreach($k in $context.keySet())x#end $context.nothing", "t")
    expected = "x" * len(events.request_context(call)) + " $context.nothing"
    assert whole.render({**variables, "context": LazyContext(call)}) == expected
