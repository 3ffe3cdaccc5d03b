"""Request ids in Lambda's and API Gateway's form (random UUIDs, version 4).

``uuid.uuid4()`` builds an object per id; formatting random bytes directly is several times
cheaper, and the gateway and the engine make one id per request.
"""

from __future__ import annotations

import os

_VARIANT = "89ab"


def request_id() -> str:
    h = os.urandom(16).hex()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_VARIANT[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"
