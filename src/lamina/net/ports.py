"""Why a server could not listen (kept out of ``server.py``, which the compiled build turns
into C: mypyc cannot compile a subclass of ``OSError``)."""

from __future__ import annotations


class PortInUseError(OSError):
    """``serve`` could not listen: another program holds ``host:port`` (an ``OSError`` still,
    for callers that catch those)."""

    def __init__(self, code: int, host: str, port: int) -> None:
        super().__init__(code, f"port {port} on {host} is in use")
        self.host = host
        self.port = port
