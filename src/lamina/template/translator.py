"""aws-sam-translator's expansion of one document, in this process or in one of its own.

``translate(data, parameters, region)`` runs the translator and returns an ``Outcome``: the
CloudFormation document (``"result"``), or why the translator refused, as plain data the caller
words against its template (``"causes"``: each with its ``logical_id``, ``field`` and
``message``; ``"message"`` for a refusal without causes; ``"crash"`` for an exception the
translator let out on input it trusted). ``translate_elsewhere`` does the same in a short-lived
``python -m lamina.template.translator`` (JSON in on stdin, out on stdout): the translator and
pydantic's schema classes are 18 MB of memory and 0.3 s of imports that a long-running
``lamina up`` would otherwise keep for its whole life. It returns None where the document cannot
travel as JSON or the process fails, and the caller then translates in its own process.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from typing import Any

from lamina import fastjson

Outcome = dict[str, Any]


class _Session:
    """All the translator asks of a boto3 session; a real one would read ~/.aws for nothing."""

    def __init__(self, region_name: str) -> None:
        self.region_name = region_name


def _cause(cause: Any) -> dict[str, Any]:
    logical_id = getattr(cause, "_logical_id", None)
    if isinstance(logical_id, list):
        logical_id = logical_id[0] if logical_id else None
    message = getattr(cause, "message", None) or str(cause)
    return {
        "logical_id": logical_id if isinstance(logical_id, str) else None,
        "field": getattr(cause, "key_path", None),
        "message": str(message),
    }


def translate(data: dict[str, Any], parameters: Mapping[str, Any], region: str) -> Outcome:
    # Imported here: the translator takes ~0.3 s to import; plain CloudFormation needs none of it.
    from samtranslator.metrics.metrics import DummyMetricsPublisher, Metrics
    from samtranslator.model.exceptions import ExceptionWithMessage, InvalidDocumentException
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator

    metrics = Metrics("ServerlessTransform", DummyMetricsPublisher())
    translator = Translator({}, Parser(), boto_session=_Session(region), metrics=metrics)
    try:
        return {"result": translator.translate(data, parameter_values=dict(parameters))}
    except InvalidDocumentException as exc:
        return {"causes": [_cause(c) for c in (list(exc.causes) or [exc])]}
    except ExceptionWithMessage as exc:
        return {"message": str(exc.message)}
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        # The translator trusts its input's shape in places; report rather than crash.
        return {"crash": f"{type(exc).__name__}: {exc}"}
    finally:
        # Without this the translator logs "There are unpublished metrics" when collected.
        metrics.publish()


def translate_elsewhere(
    data: dict[str, Any], parameters: Mapping[str, Any], region: str
) -> Outcome | None:
    asked = {"data": data, "parameters": dict(parameters), "region": region}
    try:
        sent = fastjson.dumps(asked)
    except (TypeError, ValueError):
        return None
    if fastjson.loads(sent) != asked:  # a value JSON would change (a number as a key)
        return None
    done = subprocess.run(
        [sys.executable, "-m", "lamina.template.translator"],
        input=sent,
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        return None
    outcome = fastjson.loads(done.stdout)
    return outcome if isinstance(outcome, dict) else None


def _plain(value: Any) -> Any:
    """``value`` as plain dicts and lists, each dict in its own iteration order: the translator's
    ``Py27Dict`` iterates in Python 2.7's order (what the caller would see in process), while
    orjson would write its insertion order."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def main() -> None:
    asked = fastjson.loads(sys.stdin.buffer.read())
    outcome = translate(asked["data"], asked["parameters"], asked["region"])
    sys.stdout.buffer.write(fastjson.dumps(_plain(outcome)))


if __name__ == "__main__":
    main()
