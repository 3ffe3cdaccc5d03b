"""Lamina: AWS Lambda and API Gateway applications, run on your own machine."""

from __future__ import annotations

__version__ = "0.1.0"


def compiled_modules() -> list[str]:
    """Lamina's modules installed compiled (``LAMINA_COMPILE=1 pip install .``), by name;
    empty for the pure-Python install."""
    import importlib.machinery
    from pathlib import Path

    root = Path(__file__).parent
    found = set()
    for path in root.rglob("*"):
        # The suffixes are listed most specific first (.cpython-311-x86_64-linux-gnu.so, .so).
        for suffix in importlib.machinery.EXTENSION_SUFFIXES:
            if path.name.endswith(suffix):
                parts = path.relative_to(root).with_name(path.name[: -len(suffix)]).parts
                found.add(".".join(("lamina", *parts)))
                break
    return sorted(found)
