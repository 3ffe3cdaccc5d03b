"""The planned renderer (gateway/vtlrenderer.py) renders every template exactly as airspeed's own
merge does, faults included: it is a speed-up, so any difference in output is a bug."""

from __future__ import annotations

import json

import airspeed
import pytest

from lamina.gateway import mapping
from lamina.gateway.vtlliterals import velocity_literals
from lamina.gateway.vtlrenderer import Renderer

BODY = json.dumps({"message": 'hé "q"', "id": 7, "items": [1, 2], "flag": True, "none": None})

TEMPLATES = [
    '{"id": "$input.params(\'id\')", "agent": "$util.escapeJavaScript($input.params(\'ua\'))"}',
    '#set($r = $input.path(\'$\'))\n{"message": "$r.message", "id": "$r.id"}',
    "$missing $!missing $r.nothing.deeper $!{missing} ${missing} $input.nothing",
    "#set($r = $input.path('$'))$r.items.size() $r.items[0] $r.flag $r.none $!r.none",
    "$input.json('$.items') $input.path('$.message').toUpperCase().trim()",
    "$input.params().header.ua $input.params().path $stageVariables.color $context.stage",
    "#if($input.params('id') == '7')seven#else other#end $input.params('id').length()",
    "#foreach($i in $input.path('$.items'))[$i]#end after",
    "#macro(twice $x)$x$x#end#twice($input.params('id')) #twice('ab')",
    "#define($d)defined $input.params('id')#end$d $d",
    "$util.urlEncode(\"a b $input.params('id')\") $util.base64Encode('x') ${input.body}",
    "before #stop after $input.params('id')",
    "#set($x = 'v')#if(true) inner #stop #end after",
    "$input.params('id').substring(0, 1) $input.params('id').matches('\\d') $s.trim",
    "${missing|'alt'} $input.path('$.items')[1] $input.params('id').",
    "ok $util.parseJson('{') never",
    "ok #set($x = $util.parseJson('{')) never",
    "#set($a = $input.params('id'))#set($b = $missing)#set($c = $a + 1)#set($d.e = 1)$a $b $c",
    "#set( $a = \"$input.params('id')x\" )\n$a #set($n = 2)$n #set($s = $!nothing)[$s]",
    "$util.urlEncode($input.params('ua')) $input.params($input.params('id')) $util.x($missing)",
    "$input.params().header.get($input.params('id').concat('x')) $util.urlEncode(${missing})",
    "#set($r = $input.path($input.params('id')))$r $input.params('id').substring(0, $n)",
    "#set($input = $missing)[$input.body] #set($util = 'u')$util.length()",
    "#foreach($i in $input.path('$.items'))#set($j = $i)$j $velocityCount $!{i} $i.x $!i.x"
    "#if($foreach.hasNext),#end#end[$j]",
    "#if($input.params('id') == '7')#set($k = $input.params('id'))$k $util.parseJson('{')#end",
    "#foreach($p in $input.params().header.keySet())#set($input = $missing)$p=$input.body;#end",
    "#macro(m)#set($inner = $input.params('id'))#end#m()$inner",
]


def variables() -> dict[str, object]:
    return {
        "input": mapping.Input(BODY, mapping.params_of({"id": "7"}, {"q": "1"}, {"ua": 'wr"k/é'})),
        "util": mapping.UTIL,
        "context": {"stage": "prod"},
        "stageVariables": mapping.java({"color": "blue"}),
    }


def outcome(render: object) -> tuple[str, str]:
    try:
        return ("ok", render())  # type: ignore[operator]
    except airspeed.TemplateError as exc:
        return (type(exc).__name__, str(exc))


@pytest.mark.parametrize("text", TEMPLATES)
def test_renders_as_airspeed_merges(text: str) -> None:
    """Output (or the fault, with its message naming position and expression) is airspeed's."""
    source = velocity_literals(text)
    expected_template = airspeed.Template(source, filename="t")
    expected = outcome(lambda: expected_template.merge(variables()))
    renderer = Renderer(airspeed.Template(source, filename="t"))
    assert outcome(lambda: renderer.render(variables())) == expected


def test_faults_in_planned_references_are_airspeeds() -> None:
    """A call that raises inside a planned reference is reported as airspeed reports it: a
    TemplateExecutionError naming the reference, the cause attached."""
    source = "ok $util.parseJson('{') never"
    renderer = Renderer(airspeed.Template(source, filename="t"))
    with pytest.raises(airspeed.TemplateExecutionError) as raised:
        renderer.render(variables())
    assert "$util.parseJson('{')" in str(raised.value)
    assert isinstance(raised.value.__cause__, ValueError)
