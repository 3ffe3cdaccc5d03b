"""Every random id Lamina makes: request ids in Lambda's and API Gateway's form (random UUIDs,
version 4) and the same 128 bits as 32 hex digits (environment ids, DynamoDB stream event ids).

``uuid.uuid4()`` builds an object per id and asks the kernel for randomness (a system call); the
gateway and the engine make one id per request, so ids come from a seeded Mersenne Twister and
are formatted directly. Request ids are identifiers, not secrets.
"""

from __future__ import annotations

import hashlib
import os
import random

# A UUID's version nibble (hex digit 12: "4") and variant bits (the top two of digit 16: "10",
# so "8", "9", "a" or "b"), set in the 128 random bits before they are formatted.
_CLEAR = ~((0xF << 76) | (0xC << 60)) & ((1 << 128) - 1)
_SET = (0x4 << 76) | (0x8 << 60)
# The variant digit from two random bits (``stable_uuid``).
_VARIANT = "89ab"
_random = random.Random(os.urandom(32))
# A forked child must not repeat its parent's ids.
os.register_at_fork(after_in_child=lambda: _random.seed(os.urandom(32)))


def request_id() -> str:
    h = "%032x" % (_random.getrandbits(128) & _CLEAR | _SET)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def hex_id() -> str:
    """A random version-4 UUID as 32 hex digits, as ``uuid.uuid4().hex`` writes it."""
    return request_id().replace("-", "")


def random_hex(digits: int) -> str:
    """``digits`` random hex digits, an even number (X-Ray's 16-digit segment ids, a trace
    id's 24). Through bytes: a third of a format string's cost, on every traced request."""
    return _random.getrandbits(4 * digits).to_bytes(digits // 2, "big").hex()


def stable_uuid(*parts: str) -> str:
    """A UUID in version 4's form that the same ``parts`` always give (a template resource's id
    must survive a restart: its mapping's position in a stream is stored under it)."""
    h = hashlib.sha256("\0".join(parts).encode()).hexdigest()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_VARIANT[int(h[16], 16) & 3]}{h[17:20]}-{h[20:32]}"
