"""aws-sam-translator's expansion of one document, in this process or in one of its own.

``translate(data, parameters, region)`` runs the translator and returns an ``Outcome``: the
CloudFormation document (``"result"``), or why the translator refused, as plain data the caller
words against its template (``"causes"``: each with its ``logical_id``, ``field`` and
``message``; ``"message"`` for a refusal without causes; ``"crash"`` for an exception the
translator let out on input it trusted). ``translate_elsewhere`` does the same in a short-lived
process (JSON in on stdin, out on stdout): the translator and pydantic's schema classes are
18 MB of memory and 0.3 s of imports that a long-running ``lamina up`` would otherwise keep for
its whole life. It returns None where the document cannot travel as JSON or the process fails,
and the caller then translates in its own process.

The process runs this file by its path, not as ``lamina.template.translator``: importing the
package would load ``lamina.template``'s 225 modules (0.13 CPU-seconds) that the translation
never uses, while ``lamina up`` waits for it. It needs nothing of Lamina but ``fastjson``.

With ``cache`` (a directory), a translation is kept there under the hash of what was asked (the
document, parameters and region, the translator's version and this file): the same template
translated again, as on every ``lamina up`` of an unchanged app, starts no process (0.5 to 0.8
CPU-seconds saved, and 1 to 2 s of start-up on a busy 2-core machine). Only translations that
succeeded are kept, the ``CACHED`` latest.

``prelaunch`` starts the process before the caller needs it (``lamina up``'s first start in a
state directory, while its own modules import): it imports the translator, then waits for its
document. The next ``translate_elsewhere`` that needs a process sends its document there; one
that finds its translation kept, or cannot send it, ends it.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lamina import fastjson

Outcome = dict[str, Any]
# Translations kept in a cache directory (the most recently written; each a few KB to 1 MB).
CACHED = 8
# The child: this file run by path (see the module's docstring).
_CHILD = "import runpy, sys; runpy.run_path(sys.argv[1], run_name='__main__')"


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


def _import_translator() -> None:
    """What ``translate`` imports, imported now (a prelaunched process, before its input)."""
    import samtranslator.metrics.metrics
    import samtranslator.model.exceptions
    import samtranslator.parser.parser
    import samtranslator.translator.translator  # noqa: F401


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


# The process ``prelaunch`` started, until a translation takes or ends it.
_ahead: list[subprocess.Popen[bytes]] = []


def _child() -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", _CHILD, __file__],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def prelaunch() -> None:
    """Start the translating process now, for the next ``translate_elsewhere``."""
    _ahead.append(_child())


def end_ahead() -> None:
    """End a prelaunched process no translation needs (it holds only imports): a kept
    translation, or a template without SAM's transform (the caller says so once loaded)."""
    while _ahead:
        proc = _ahead.pop()
        proc.kill()
        proc.communicate()


def translate_elsewhere(
    data: dict[str, Any], parameters: Mapping[str, Any], region: str, cache: Path | None = None
) -> Outcome | None:
    asked = {"data": data, "parameters": dict(parameters), "region": region}
    try:
        sent = fastjson.dumps(asked)
    except (TypeError, ValueError):
        end_ahead()
        return None
    if fastjson.loads(sent) != asked:  # a value JSON would change (a number as a key)
        end_ahead()
        return None
    kept = cache / f"{_key(sent)}.json" if cache is not None else None
    if kept is not None:
        try:
            outcome = fastjson.loads(kept.read_bytes())
        except (OSError, ValueError):
            pass  # not there (or cut short): translated again below
        else:
            if isinstance(outcome, dict) and "result" in outcome:
                end_ahead()
                return outcome
    proc = _ahead.pop() if _ahead else _child()
    stdout, _ = proc.communicate(sent)
    if proc.returncode != 0:
        return None
    outcome = fastjson.loads(stdout)
    if not isinstance(outcome, dict):
        return None
    if kept is not None and "result" in outcome:
        _keep(kept, stdout)
    return outcome


def _key(sent: bytes) -> str:
    """What a translation depends on: the request, the translator's version, this file."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        translator = version("aws-sam-translator")
    except PackageNotFoundError:
        translator = "?"
    digest = hashlib.sha256(sent)
    digest.update(translator.encode())
    digest.update(Path(__file__).read_bytes())
    return digest.hexdigest()[:32]


def _keep(path: Path, outcome: bytes) -> None:
    """Write ``outcome`` at ``path`` whole (a crash leaves no half file under its name), then
    forget all but the ``CACHED`` latest translations; a cache that cannot be written is
    skipped (the next start translates again)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(outcome)
        os.replace(tmp, path)
        kept = sorted(path.parent.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in kept[CACHED:]:
            old.unlink(missing_ok=True)
    except OSError:
        pass


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
    _import_translator()  # before reading: a prelaunched process imports while it waits
    asked = fastjson.loads(sys.stdin.buffer.read())
    outcome = translate(asked["data"], asked["parameters"], asked["region"])
    sys.stdout.buffer.write(fastjson.dumps(_plain(outcome)))


if __name__ == "__main__":
    main()
