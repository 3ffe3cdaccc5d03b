"""What the ``lamina`` command starts before it imports its commands.

``prelaunch_zygote``: ``lamina up`` needs a zygote (``engine/zygote.py``), whose warm-up (an
interpreter importing boto3 and warming its clients, about 0.3 CPU-seconds) otherwise starts
only once the command's modules are imported and the server starts. Started first, it runs on
the other core while they import. The interpreter and preloads come from the environment
(``LAMINA_PYTHON``, ``LAMINA_PRELOAD``), as the server's settings will; ``Lamina.start`` takes
it over (``app.launch_zygote``). Asking for help starts nothing; a zygote the command never
takes (an error before the server starts) exits when the command does.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


def prelaunch_zygote(argv: Sequence[str]) -> None:
    if "--help" in argv or "-h" in argv:
        return
    from lamina.engine.zygote import prelaunch
    from lamina.settings import Settings

    try:
        settings = Settings.from_env(Path("."))
    except Exception:  # a bad setting: the command itself says so
        return
    prelaunch(settings.python, settings.preload)


# ``lamina up``'s options that take a value (the template is the one positional argument).
_VALUED = {"--host", "--port", "--services-port", "--state-dir", "--parameter-overrides",
           "--endpoint", "--debug", "--debug-port"}  # fmt: skip


def state_dir_guess(argv: Sequence[str]) -> Path:
    """The state directory ``lamina up`` with these arguments will use, as far as they say."""
    args = list(argv[2:])
    template = "."
    skip = False
    for i, arg in enumerate(args):
        if skip:
            skip = False
            continue
        if arg.startswith("--state-dir="):
            return Path(arg.partition("=")[2])
        if arg == "--state-dir" and i + 1 < len(args):
            return Path(args[i + 1])
        if arg in _VALUED:
            skip = True
        elif not arg.startswith("-"):
            template = arg
    path = Path(template)
    return (path if path.is_dir() else path.parent).resolve() / ".lamina"


def prelaunch_translator(argv: Sequence[str]) -> None:
    if "--help" in argv or "-h" in argv:
        return
    kept = state_dir_guess(argv) / "translations"
    if kept.is_dir() and any(kept.glob("*.json")):
        return
    from lamina.template import translator

    translator.prelaunch()
