"""A compiled airspeed template rendered with fewer of airspeed's layers, same output.

airspeed evaluates a template by walking its element tree: every reference
(``$input.params('id')``) goes through ``FormalReference.evaluate``, then
``VariableExpression``, ``NameOrCall``, ``SubExpression``, ``ParameterList``, ``ValueList``,
``Value`` and ``StringLiteral``'s ``calculate``, each a Python call with its own try block, list
building and abstract-class ``isinstance`` checks, and every piece of output goes through
``StoppableStream.write``. Profiled under wrk (benchmarks/gateway_steps.py's VTL route), that walk
was most of what a mapped request costs beyond a proxy one.

``Renderer`` plans each top-level element of a template once: literal text is kept as a string, a
reference made of names and calls whose arguments are literals or such references (the common
shape: ``$input.params('id')``, ``$util.escapeJavaScript($input.body)``, ``$r.message``) becomes a
tuple of steps evaluated in one loop with ``NameOrCall.calculate``'s exact lookup rules
(``obj[name]``, then ``getattr``, then airspeed's additional methods for the object's class; a
missing value renders as the reference's text, or ``""`` when silent); so is
``#set($name = reference)``'s reference. Every other element (other ``#set``s, ``#if``,
``#foreach``, macros, references with an index or an alternate value) is evaluated by airspeed
itself, in the same namespace, so its semantics are airspeed's; inside the blocks of those
(``#foreach``'s body...), planned references and ``#set``s stand in for airspeed's elements,
written to airspeed's stream. A template with ``#stop`` (which stops a stream that nested elements
share) is rendered by airspeed whole. A fault in a planned reference raises
``airspeed.TemplateExecutionError`` for that reference, as airspeed's would.

Measured in process (best of several runs, one core): the benchmark's request and response
templates 32-38 -> 10-11 us per request; a ``#foreach`` over 10 items writing two fields each
about 122 -> 85-95 us (the loop's own machinery stays airspeed's).
"""

from __future__ import annotations

import re
from typing import Any

import airspeed

_STOP = re.compile(r"#\{?stop", re.I)
_LITERALS = (
    airspeed.StringLiteral,
    airspeed.IntegerLiteral,
    airspeed.FloatingPointLiteral,
    airspeed.BooleanLiteral,
    airspeed.NullLiteral,
)
_LOADER = airspeed.NullLoader()
_ABSENT = object()
# The element types a name can hold that airspeed calls instead of reading (#macro, #define):
# _Element is an abstract class, so isinstance against it costs more than this look-up.
_FUNCTIONS = frozenset(airspeed._FunctionDefinition.__subclasses__()) | {
    airspeed._FunctionDefinition
}

# A planned reference's step: a name, and the call's arguments (None: no call; a tuple: literal
# arguments; _Arguments: literals and planned references; an element: airspeed's ParameterList,
# calculated per call).
_Step = tuple[str, Any]


class _Arguments:
    """A call's arguments, each a literal or a planned reference (``f($input.params('a'))``)."""

    __slots__ = ("items",)

    def __init__(self, items: list[tuple[tuple[_Step, ...] | None, Any]]) -> None:
        self.items = items  # (steps, None) for a reference, (None, value) for a literal

    def calculate(self, namespace: Any, loader: Any) -> list[Any]:
        return [v if steps is None else _value(steps, namespace) for steps, v in self.items]


def _plan_arguments(parameters: Any) -> Any:
    """A call's arguments planned: a tuple of literals, ``_Arguments``, or ``parameters``
    itself (airspeed calculates them)."""
    values = getattr(parameters.values, "values", [])
    if all(type(v.expression) in _LITERALS for v in values):
        return tuple(v.expression.value for v in values)
    items: list[tuple[tuple[_Step, ...] | None, Any]] = []
    for v in values:
        if type(v.expression) in _LITERALS:
            items.append((None, v.expression.value))
        elif isinstance(v.expression, airspeed.FormalReference):
            # As an argument, a reference is its expression's value (airspeed's calculate).
            steps = _plan_reference(v.expression)
            if steps is None:
                return parameters
            items.append((steps, None))
        else:
            return parameters
    return _Arguments(items)


def _plan_reference(element: Any) -> tuple[_Step, ...] | None:
    """The steps of a reference made of names and calls only, or None (airspeed renders it)."""
    if element.expression is None or element.alternate is not None:
        return None
    steps: list[_Step] = []
    expression = element.expression
    while True:
        part = expression.part
        if part.index is not None:
            return None
        if part.parameters is None:
            steps.append((part.name, None))
        else:
            steps.append((part.name, _plan_arguments(part.parameters)))
        sub = expression.subexpression
        if sub is None:
            return tuple(steps)
        if not isinstance(sub.expression, airspeed.VariableExpression):
            return None
        expression = sub.expression


def _plan_set(element: Any) -> tuple[_Step, ...] | None:
    """The steps of ``#set($name = reference)``'s reference, or None (airspeed sets it)."""
    terms = element.value.expression
    if len(element.terms) != 1 or len(terms) != 1:
        return None
    reference = terms[0].expression
    if not isinstance(reference, airspeed.FormalReference):
        return None
    return _plan_reference(reference)


def _lookup(current: Any, name: str) -> Any:
    """``NameOrCall.calculate``'s lookup of ``name`` on ``current``."""
    try:
        result = current[name]
    except (KeyError, TypeError, AttributeError):
        result = None
    if result is None and not isinstance(current, airspeed.LocalNamespace):
        result = getattr(current, name, None)
    if result is None:
        methods = airspeed.__additional_methods__.get(current.__class__)
        if methods and name in methods:
            method = methods[name]
            result = lambda *args: method(current, *args)  # noqa: E731 (airspeed's own shape)
    return result


def _value(steps: tuple[_Step, ...], namespace: Any) -> Any:
    """The value of a planned reference in ``namespace`` (a ``LocalNamespace``: the template's,
    or one of a ``#foreach``'s or macro's inside it)."""
    current = namespace
    for name, call in steps:
        if current is namespace:
            # LocalNamespace's own lookup, without its KeyError for every name it inherits.
            # (A name #set to null holds None there, and hides the outer one as airspeed's does.)
            scope = namespace
            while True:
                result = dict.get(scope, name, _ABSENT)
                if result is not _ABSENT:
                    break
                scope = scope.parent
                if not isinstance(scope, airspeed.LocalNamespace):
                    try:
                        result = scope[name]
                    except (KeyError, TypeError, AttributeError):
                        result = None
                    break
        else:
            result = _lookup(current, name)
        if result is not None:
            if type(result) in _FUNCTIONS:  # a #define'd or macro name
                if call is None or type(call) is tuple:
                    params = list(call or ())
                else:
                    params = call.calculate(namespace, _LOADER)
                stream = airspeed.StoppableStream()
                result.execute_function(stream, namespace, params, _LOADER)
                result = stream.getvalue()
            elif call is not None:
                args = call if type(call) is tuple else call.calculate(namespace, _LOADER)
                result = result(*args)
        current = result
    return current


def _evaluated(element: Any, steps: tuple[_Step, ...], namespace: Any) -> Any:
    """The planned steps' value in ``namespace``; a fault is airspeed's, naming ``element``."""
    try:
        return _value(steps, namespace)
    except airspeed.TemplateExecutionError:
        raise
    except Exception as exc:
        raise airspeed.TemplateExecutionError(element) from exc


class _PlannedReference:
    """A planned reference: at the top level of a template, or inside a nested block (``#if``,
    ``#foreach``, a macro's body) in place of the ``FormalReference`` airspeed's block would
    evaluate; same output, same faults."""

    __slots__ = ("element", "steps")

    def __init__(self, element: Any, steps: tuple[_Step, ...]) -> None:
        self.element = element
        self.steps = steps

    def text(self, namespace: Any) -> str:
        """What the reference renders as in ``namespace``."""
        value = _evaluated(self.element, self.steps, namespace)
        if value is None:
            return "" if self.element.silent else str(self.element.my_text())
        return str(value)

    def evaluate(self, stream: Any, namespace: Any, loader: Any) -> None:
        stream.write(self.text(namespace))


class _PlannedSet:
    """A planned ``#set($name = reference)`` (top level or nested, as ``_PlannedReference``)."""

    __slots__ = ("element", "name", "steps")

    def __init__(self, element: Any, steps: tuple[_Step, ...]) -> None:
        self.element = element
        self.name = element.terms[0]
        self.steps = steps

    def apply(self, namespace: Any) -> None:
        """Set the name in ``namespace`` as airspeed's ``#set`` does."""
        namespace.set_inherited(self.name, _evaluated(self.element, self.steps, namespace))

    def evaluate(self, stream: Any, namespace: Any, loader: Any) -> None:
        self.apply(namespace)


def _plan_nested(element: Any, seen: set[int]) -> None:
    """Plan the references and ``#set``s of every block below ``element``, in place."""
    if id(element) in seen:
        return
    seen.add(id(element))
    for value in list(vars(element).values()):
        children = value if isinstance(value, list) else [value]
        for child in children:
            if isinstance(child, airspeed._Element):
                _plan_nested(child, seen)
        if isinstance(element, airspeed.Block) and value is element.children:
            element.children = [_planned(child) for child in element.children]


def _planned(child: Any) -> Any:
    if isinstance(child, airspeed.FormalReference):
        steps = _plan_reference(child)
        return child if steps is None else _PlannedReference(child, steps)
    if isinstance(child, airspeed.SetDirective):
        steps = _plan_set(child)
        return child if steps is None else _PlannedSet(child, steps)
    return child


class Renderer:
    """One compiled airspeed template, rendered as airspeed renders it (the module's contract)."""

    __slots__ = ("_plan", "_template")

    def __init__(self, template: airspeed.Template) -> None:
        template.ensure_compiled()
        self._template = template
        self._plan: list[Any] | None = None
        if _STOP.search(template.content):
            return
        plan: list[Any] = []
        seen: set[int] = set()
        for child in template.root_element.block.children:
            _plan_nested(child, seen)
            plan.append(child.text if isinstance(child, airspeed.Text) else _planned(child))
        self._plan = plan

    def render(self, variables: dict[str, Any]) -> str:
        """The template merged with ``variables``; raises airspeed's ``TemplateError``s."""
        if self._plan is None:
            return str(self._template.merge(variables))
        namespace = airspeed.LocalNamespace(variables)
        out: list[str] = []
        for item in self._plan:
            if type(item) is str:
                out.append(item)
            elif type(item) is _PlannedReference:
                out.append(item.text(namespace))
            elif type(item) is _PlannedSet:
                item.apply(namespace)
            else:
                stream = airspeed.StoppableStream()
                item.evaluate(stream, namespace, _LOADER)
                out.append(stream.getvalue())
        return "".join(out)
