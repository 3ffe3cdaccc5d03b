"""The notes a command prints while it prepares a template, with a spinner while pip installs.

``Notes`` is the ``note`` callback of ``app.load``/``Lamina``/``OneShot``: every note is printed
as a ``lamina:`` line; between a function's ``installing ...`` note and its ``installed`` (or
the end) a rich spinner names what is being installed, on a terminal only (rich shows nothing
animated elsewhere). ``close`` stops the spinner (Ctrl+C included).
"""

from __future__ import annotations

from rich.console import Console
from rich.status import Status


class Notes:
    def __init__(self, console: Console) -> None:
        self._console = console
        self._status: Status | None = None

    def __call__(self, message: str) -> None:
        self._console.print(f"lamina: {message}", markup=False, highlight=False, soft_wrap=True)
        what, _, rest = message.partition(": ")
        if rest.startswith("installing ") and self._console.is_terminal:
            self.close()
            self._status = self._console.status(f"{what}: installing requirements (pip)")
            self._status.start()
        elif rest == "installed":
            self.close()

    def close(self) -> None:
        status, self._status = self._status, None
        if status is not None:
            status.stop()
