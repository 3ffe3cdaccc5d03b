"""The debugger flags of ``lamina up`` and ``lamina invoke``: what the environment is told, and
what the user is shown.

``--debug FUNCTION`` (``up``) or ``--debug`` (``invoke``) runs the function's environments under
debugpy, listening on 127.0.0.1 at ``--debug-port`` and waiting for a client (VS Code, PyCharm)
before importing the handler; the snippet printed is a ready-to-paste VS Code launch
configuration. On a terminal, ``lamina invoke`` hands the terminal to the environment so that
``breakpoint()`` opens pdb there. The function's timeout is not enforced under debugpy, and
under pdb from the first prompt on (until then a function that hangs still times out).
"""

from __future__ import annotations

import os
import sys

import typer

from lamina import fastjson
from lamina.settings import Debugger

DEFAULT_PORT = 5678


def debugpy_for(function: str, port: int) -> Debugger:
    """``function`` under debugpy on 127.0.0.1:``port``; a usage error when it is missing."""
    try:
        import debugpy
    except ImportError:
        raise typer.BadParameter(
            "needs debugpy: pip install debugpy", param_hint="--debug"
        ) from None
    # The directory holding the debugpy package: the environment imports it from there.
    library = os.path.dirname(os.path.dirname(os.path.abspath(debugpy.__file__)))
    return Debugger(function=function, kind="debugpy", port=port, library=library)


def pdb_for(function: str) -> Debugger | None:
    """pdb on this terminal for ``breakpoint()`` in ``function``, when stdin and stdout are
    one; else None (a piped run keeps Lambda's behaviour)."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        return None
    return Debugger(function=function, kind="pdb", tty=os.ttyname(sys.stdin.fileno()))


def launch_configuration(debugger: Debugger) -> str:
    """A VS Code ``launch.json`` configuration attaching to ``debugger``."""
    config = {
        "name": f"Attach to {debugger.function} (Lamina)",
        "type": "debugpy",
        "request": "attach",
        "connect": {"host": debugger.host, "port": debugger.port},
        "justMyCode": True,
    }
    return fastjson.pretty(config)


def announce(debugger: Debugger) -> str:
    """The lines telling the user where to attach."""
    return (
        f"{debugger.function} waits for a debugger on {debugger.host}:{debugger.port} "
        f"(its timeout is not enforced). VS Code launch.json configuration:\n"
        f"{launch_configuration(debugger)}\n"
    )
