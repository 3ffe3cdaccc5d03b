"""Mapping templates: API Gateway's Velocity (VTL) templates and the variables they see.

A template is compiled once, at deploy (``compile``), by airspeed, a Velocity engine for Python;
``Template.render`` merges it with the variables of API Gateway's mapping template reference:

* ``$input``: ``body`` (the payload as text), ``json(path)`` (the JSON at a JSONPath, as JSON
  text), ``path(path)`` (the value at a JSONPath, as an object), ``params()`` (``path``,
  ``querystring`` and ``header`` maps) and ``params(name)`` (the first of path, query string,
  header to hold ``name``; ``""`` when none does). In a response template the payload is the
  integration's answer; the parameters stay the method request's.
* ``$util``: ``escapeJavaScript``, ``parseJson``, ``urlEncode``, ``urlDecode``,
  ``base64Encode``, ``base64Decode``.
* ``$context`` (the request context of the 1.0 proxy event, and ``error``) and
  ``$stageVariables``.

String literals mean what Velocity 1.7's mean (no backslash escapes: ``vtlliterals``), and
String's ``replaceAll``/``replaceFirst``/``matches`` follow Java's regular expressions'
semantics. Values render as Java renders them (``true``, ``{a=1}``, ``[1, 2]``), since API Gateway's
Velocity runs on Java. An empty payload reads as ``{}`` in ``json``/``path``; a payload that is
not JSON raises ``PayloadError`` there (API Gateway answers 400). A template that cannot be
parsed raises ``TemplateError`` from ``compile``, one that fails while rendering from ``render``.

Cost (issue 16's target: a request+response template at most 1.5x the plain proxy route). py-spy
on ``lamina up`` under wrk -c32 (benchmarks/gateway_steps.py's VTL route) put airspeed's
evaluation of the two templates at about 20% of the gateway process's samples, half of the mapped
integration's time; building ``$input``/``$context``/``$util``, parsing the body (once per
request, ``Input._parsed``), JSONPath (parsed expressions are cached by ``jsonpath``) and choosing
the response were 1-2% together, and templates are parsed once, at deploy. Rendering therefore
goes through ``vtlrenderer.Renderer``, a plan of each template made at compile time that evaluates
its text, references and ``#set``s without airspeed's per-element layers (same output, same
faults): the two templates went from 32-38 to 10-11 us per request in process, 7% of the
gateway's samples under wrk, the rest of a mapped call being the function's invocation, as on the
proxy route. gateway_steps (throughput/CPU per request against the proxy route): 1.28x/1.35x
before, 1.13x/1.12x after, one run each at load averages of 0.2-3.1 and 1.4-2.7.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote_plus, unquote_plus

import airspeed

from lamina import fastjson
from lamina.gateway import jsonpath
from lamina.gateway.vtlliterals import velocity_literals
from lamina.gateway.vtlrenderer import Renderer


class TemplateError(Exception):
    """A template that cannot be parsed or rendered; the message says where and why."""


class PayloadError(ValueError):
    """``$input.json``/``path`` of a payload that is not JSON."""


# -- Java's view of JSON values ---------------------------------------------------------------


class JavaMap(dict[str, Any]):
    """A JSON object as a Java ``Map``: ``{a=1, b=x}`` when rendered, Map's methods in VTL."""

    def __str__(self) -> str:
        return "{" + ", ".join(f"{k}={_text(v)}" for k, v in self.items()) + "}"

    def size(self) -> int:
        return len(self)

    def keySet(self) -> JavaList:
        return JavaList(self.keys())

    def containsKey(self, key: str) -> bool:
        return key in self

    def isEmpty(self) -> bool:
        return not self

    def entrySet(self) -> JavaList:
        return JavaList(JavaMap(key=k, value=v) for k, v in self.items())


class JavaList(list[Any]):
    """A JSON array as a Java ``List``: ``[1, 2]`` when rendered."""

    def __str__(self) -> str:
        return "[" + ", ".join(_text(v) for v in self) + "]"

    def size(self) -> int:
        return len(self)

    def isEmpty(self) -> bool:
        return not self


class JavaBool:
    """A JSON boolean: ``true``/``false`` when rendered, truthy as the value."""

    __slots__ = ("value",)

    def __init__(self, value: bool) -> None:
        self.value = value

    def __bool__(self) -> bool:
        return self.value

    def __eq__(self, other: object) -> bool:
        return bool(other) == self.value if isinstance(other, (bool, JavaBool)) else False

    def __hash__(self) -> int:
        return hash(self.value)

    def __str__(self) -> str:
        return "true" if self.value else "false"


def _text(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def java(value: Any) -> Any:
    """A parsed JSON value with Java's renderings (maps, lists and booleans wrapped)."""
    if isinstance(value, dict):
        return JavaMap({str(k): java(v) for k, v in value.items()})
    if isinstance(value, list):
        return JavaList(java(v) for v in value)
    if isinstance(value, bool):
        return JavaBool(value)
    return value


def _plain(value: Any) -> Any:
    """The JSON value behind a Java-wrapped one (for ``json``)."""
    if isinstance(value, JavaBool):
        return value.value
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


# Java's String methods templates call that Python's str lacks (airspeed's documented hook);
# those answering a boolean answer one that renders as Java's (``true``).
_STRING_METHODS: dict[str, Callable[..., Any]] = {
    "toLowerCase": lambda s: s.lower(),
    "toUpperCase": lambda s: s.upper(),
    "trim": lambda s: s.strip(),
    "equals": lambda s, other: JavaBool(s == other),
    "equalsIgnoreCase": lambda s, other: JavaBool(s.lower() == str(other).lower()),
    "isEmpty": lambda s: JavaBool(not s),
    "endsWith": lambda s, suffix: JavaBool(s.endswith(suffix)),
    "startsWith": lambda s, prefix: JavaBool(s.startswith(prefix)),
    "contains": lambda s, part: JavaBool(str(part) in s),
    "indexOf": lambda s, sub: s.find(sub),
    "substring": lambda s, start, end=None: s[start:end],
    "charAt": lambda s, at: s[at],
}
airspeed.__additional_methods__[str].update(_STRING_METHODS)


_GROUP = re.compile(r"\\(.)|\$(\d+)|\$\{(\w+)\}", re.S)


def _java_replacement(replacement: str) -> Callable[[re.Match[str]], str]:
    """Java's replacement syntax (``$1``, ``${name}``, a backslash taking the next character
    literally) as a function of the match: Python's ``re.sub`` reads its own syntax."""
    literal: list[str] = []
    groups: list[int | str | None] = []  # the group after each literal part (None: none)
    at = 0
    for m in _GROUP.finditer(replacement):
        escaped, number, name = m.groups()
        if escaped is not None:
            literal.append(replacement[at : m.start()] + escaped)
            groups.append(None)
        else:
            literal.append(replacement[at : m.start()])
            groups.append(int(number) if number else name)
        at = m.end()
    literal.append(replacement[at:])
    groups.append(None)
    pairs = list(zip(literal, groups, strict=True))

    def replace(match: re.Match[str]) -> str:
        return "".join(t + ("" if g is None else match.group(g) or "") for t, g in pairs)

    return replace


# Java's regular-expression methods of String, with Java's semantics where Python's differ:
# ``matches`` is a match of the whole string, replacements are written as Java writes them.
airspeed.__additional_methods__[str].update(
    {
        "replaceAll": lambda s, pattern, repl: re.sub(pattern, _java_replacement(repl), s),
        "replaceFirst": lambda s, pattern, repl: re.sub(
            pattern, _java_replacement(repl), s, count=1
        ),
        "matches": lambda s, pattern: JavaBool(re.fullmatch(pattern, s) is not None),
    }
)


def like_map(kind: type[dict[str, Any]]) -> None:
    """Give ``kind`` (a dict subclass) the Map methods airspeed gives plain dicts."""
    airspeed.__additional_methods__[kind] = airspeed.__additional_methods__[dict]


# -- $input and $util ----------------------------------------------------------------------------


class Input:
    """``$input``: one payload and the method request's parameters."""

    __slots__ = ("_document", "_params", "body")

    def __init__(self, body: str, params: JavaMap) -> None:
        self.body = body
        self._params = params
        self._document: Any = jsonpath.MISSING

    def __getitem__(self, name: str) -> Any:
        # airspeed tries obj[name] before getattr: answering here spares it a TypeError.
        return getattr(self, name)

    def _parsed(self) -> Any:
        if self._document is jsonpath.MISSING:
            if not self.body.strip():
                self._document = {}
            else:
                try:
                    self._document = fastjson.loads(self.body)
                except ValueError as exc:
                    raise PayloadError(
                        f"Could not parse request body into json: {exc.args[0]}"
                    ) from None
        return self._document

    def path(self, path: str) -> Any:
        found = jsonpath.parse(str(path)).find(self._parsed())
        return None if found is jsonpath.MISSING else java(found)

    def json(self, path: str) -> str:
        found = jsonpath.parse(str(path)).find(self._parsed())
        if found is jsonpath.MISSING:
            return ""
        return fastjson.dumps_text(found)

    def params(self, name: str | None = None) -> Any:
        if name is None:
            return self._params
        for where in ("path", "querystring"):
            value = self._params[where].get(name)
            if value is not None:
                return value
        lowered = str(name).lower()
        for header, value in self._params["header"].items():
            if header.lower() == lowered:
                return value
        return ""


def params_of(
    path: Mapping[str, str], query: Mapping[str, str], header: Mapping[str, str]
) -> JavaMap:
    """``$input.params()``: the method request's parameters by where they came."""
    return JavaMap(path=JavaMap(path), querystring=JavaMap(query), header=JavaMap(header))


_JS_ESCAPES = {
    '"': '\\"',
    "'": "\\'",
    "\\": "\\\\",
    "/": "\\/",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
}


_JS_TABLE = str.maketrans(_JS_ESCAPES)
_UNPRINTABLE = re.compile(r"[^\x20-\x7e]")


class Util:
    """``$util``."""

    def __getitem__(self, name: str) -> Any:
        return getattr(self, name)

    @staticmethod
    def escapeJavaScript(text: Any) -> str:
        """As Java's ``StringEscapeUtils.escapeJavaScript``: quotes, backslash, slash and control
        characters escaped, characters outside ASCII as ``\\uXXXX``."""
        escaped = str(text).translate(_JS_TABLE)
        if escaped.isascii() and escaped.isprintable():
            return escaped
        return _UNPRINTABLE.sub(
            lambda m: "".join(f"\\u{unit:04X}" for unit in _utf16(m.group())), escaped
        )

    @staticmethod
    def parseJson(text: Any) -> Any:
        return java(fastjson.loads(str(text)))

    @staticmethod
    def urlEncode(text: Any) -> str:
        # Java's URLEncoder: letters, digits and .-*_ stay; space becomes +.
        return quote_plus(str(text), safe=".-*_")

    @staticmethod
    def urlDecode(text: Any) -> str:
        return unquote_plus(str(text))

    @staticmethod
    def base64Encode(text: Any) -> str:
        return base64.b64encode(str(text).encode()).decode("ascii")

    @staticmethod
    def base64Decode(text: Any) -> str:
        try:
            return base64.b64decode(str(text)).decode("utf-8", "replace")
        except (binascii.Error, ValueError) as exc:
            raise ValueError(f"base64Decode: {exc}") from None


def _utf16(char: str) -> list[int]:
    data = char.encode("utf-16-be")
    return [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2)]


UTIL = Util()


# -- templates -----------------------------------------------------------------------------------


class Template:
    """One compiled mapping template."""

    __slots__ = ("_template", "uses_context", "where")

    def __init__(self, template: Renderer, where: str, uses_context: bool) -> None:
        self._template = template
        self.where = where
        # Whether the template reads $context (building it costs a request context).
        self.uses_context = uses_context

    def render(self, variables: dict[str, Any]) -> str:
        """The template merged with ``variables`` (``input``, ``util``, ``context``,
        ``stageVariables``). Raises ``TemplateError``, or ``PayloadError`` for a payload the
        template reads as JSON and is not."""
        try:
            return self._template.render(variables)
        except airspeed.TemplateError as exc:
            cause = exc.__cause__
            if isinstance(cause, PayloadError):
                raise cause from None
            raise TemplateError(f"{self.where}: {_first_line(exc)}") from None
        except PayloadError:
            raise
        except Exception as exc:  # a fault of the template's own making, reported as such
            raise TemplateError(f"{self.where}: {type(exc).__name__}: {exc}") from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return " ".join(text.splitlines()) if text else type(exc).__name__


def compile(text: str, where: str) -> Template:
    """``text`` parsed once; ``where`` names it in errors (route and template). Raises
    ``TemplateError`` for a template Velocity cannot parse."""
    # Velocity's literals, not airspeed's: "\\'" keeps both backslashes (see vtlliterals).
    template = airspeed.Template(velocity_literals(text), filename=where)
    try:
        template.ensure_compiled()
    except airspeed.TemplateError as exc:
        raise TemplateError(f"{where}: {_first_line(exc)}") from None
    return Template(Renderer(template), where, "context" in text)


def json_java(value: Any) -> str:
    """A JSON value (possibly Java-wrapped) as JSON text."""
    return fastjson.dumps_text(_plain(value))
