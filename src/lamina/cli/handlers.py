"""What ``lamina validate`` finds wrong with a function's handler, before anything runs it.

``problem`` reads the handler string against the function's code directory (and its layers'
``python/``) without importing anything: a module with no file, or a module whose source defines
no such name, is reported as Lambda's runtime would word it at the first invocation
(``Runtime.ImportModuleError``, ``Runtime.HandlerNotFound``). ``init_failure`` words the error an
environment's INIT returned (the handler really imported): its last line, and the file:line of
the innermost frame.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from lamina import fastjson
from lamina.model.specs import FunctionSpec

_FRAME = re.compile(r'File "(?P<file>[^"]+)",? line (?P<line>\d+)', re.IGNORECASE)
_MISSING = re.compile(r"No module named '(?P<name>[^']+)'")


def _roots(spec: FunctionSpec) -> list[Path]:
    roots = [spec.code_dir] if spec.code_dir is not None and spec.code_dir.is_dir() else []
    roots += [layer.content_dir / "python" for layer in spec.layers if layer.content_dir.is_dir()]
    return roots


def _module_file(roots: list[Path], module: str) -> Path | None:
    parts = module.split(".")
    for root in roots:
        base = root.joinpath(*parts)
        for candidate in (base.with_suffix(".py"), base / "__init__.py"):
            if candidate.is_file():
                return candidate
        if base.is_dir() or list(root.glob(f"{'/'.join(parts)}.*.so")):
            return base  # a namespace package or a compiled module: importing will tell
    return None


def _defines(source: str, name: str) -> bool | None:
    """Whether the module's top level binds ``name``; None when it cannot tell statically (a
    star import or a module ``__getattr__``)."""
    tree = ast.parse(source)
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            if node.name == name:
                return True
            if node.name == "__getattr__":
                return None
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(target)):
                    return True
        elif isinstance(node, ast.AnnAssign | ast.AugAssign):
            if isinstance(node.target, ast.Name) and node.target.id == name:
                return True
        elif isinstance(node, ast.Import | ast.ImportFrom):
            for alias in node.names:
                if alias.name == "*":
                    return None
                if (alias.asname or alias.name.split(".")[0]) == name:
                    return True
        elif isinstance(node, ast.If | ast.Try | ast.With) and name in ast.unparse(node):
            return None  # bound conditionally: the import will tell
    return False


def problem(spec: FunctionSpec) -> str | None:
    """What is wrong with ``spec``'s handler, read statically; None when nothing is known wrong
    (inline code, archives and non-Python runtimes are left to the import)."""
    if not spec.is_python or spec.inline_code is not None:
        return None
    roots = _roots(spec)
    if not roots:
        return None
    module, dot, function = spec.handler.rpartition(".")
    if not dot or not module or not function:
        return (
            f"Runtime.MalformedHandlerName: Bad handler '{spec.handler}': "
            "not enough values to unpack (expected 2, got 1)"
        )
    file = _module_file(roots, module.replace("/", "."))
    if file is None:
        return (
            f"Runtime.ImportModuleError: Unable to import module '{module}': "
            f"No module named '{module}' (looked in {', '.join(str(r) for r in roots)})"
        )
    if file.suffix != ".py":
        return None
    try:
        defined = _defines(file.read_text(encoding="utf-8"), function)
    except (SyntaxError, UnicodeDecodeError, OSError):
        return None  # the import says it with its own words and line
    if defined is False:
        return (
            f"Runtime.HandlerNotFound: Handler '{function}' missing on module '{module}' ({file})"
        )
    return None


def module_file(spec: FunctionSpec) -> Path | None:
    """The handler module's source file, when it is one in the function's directories."""
    module = spec.handler.rpartition(".")[0]
    found = _module_file(_roots(spec), module.replace("/", ".")) if module else None
    return found if found is not None and found.suffix == ".py" else None


def _import_line(file: Path, missing: str) -> int | None:
    """The line of ``file`` importing the module ``missing`` (or a package of it): Lambda's
    ImportModuleError carries no stack trace, so the import statement is looked up."""
    try:
        tree = ast.parse(file.read_text(encoding="utf-8"))
    except (SyntaxError, UnicodeDecodeError, OSError):
        return None
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        else:
            continue
        if any(n == missing or missing.startswith(n + ".") or n.startswith(missing + ".")
               for n in names):  # fmt: skip
            return node.lineno
    return None


def init_failure(body: bytes, source: Path | None = None) -> str:
    """The last line of an INIT error and where it was raised (file:line), from the error
    document the environment answered; ``source`` is the handler's module, where a missing
    import is looked for."""
    try:
        doc = fastjson.loads(body)
    except ValueError:
        return body.decode("utf-8", "replace").strip()
    if not isinstance(doc, dict):
        return str(doc)
    message = str(doc.get("errorMessage", "")).strip().splitlines()
    line = f"{doc.get('errorType', 'Error')}: {message[-1] if message else ''}"
    where = None
    for frame in doc.get("stackTrace") or []:
        found = _FRAME.search(str(frame))
        if found:
            where = f"{found['file']}:{found['line']}"
    missing = _MISSING.search(message[-1]) if message else None
    if where is None and missing is not None and source is not None:
        line_no = _import_line(source, missing["name"])
        where = f"{source}:{line_no}" if line_no is not None else None
    return f"{line} ({where})" if where else line
