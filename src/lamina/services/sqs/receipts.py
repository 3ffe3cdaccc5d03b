"""Receipt handles: what a receive hands out, naming the queue, the message and the receipt.

A handle is the URL-safe base64 of ``queue\nseq\ntoken``: the queue's name, the message's row
in the store and the random token of that receipt (a new one at each receive). Handles are
opaque to clients, as AWS's are; one that does not decode names no message.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any


def make(queue: str, seq: int, token: str) -> str:
    return base64.urlsafe_b64encode(f"{queue}\n{seq}\n{token}".encode()).decode()


def parse(handle: Any) -> tuple[str, int, str] | None:
    """(queue name, message seq, receipt token) of a receipt handle Lamina gave out."""
    if not isinstance(handle, str) or not handle:
        return None
    try:
        text = base64.urlsafe_b64decode(handle.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    parts = text.split("\n")
    if len(parts) != 3 or not parts[1].isdigit():
        return None
    return parts[0], int(parts[1]), parts[2]
