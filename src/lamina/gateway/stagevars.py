"""Stage variables in integration targets: ``${stageVariables.NAME}``, filled from the stage.

Pure. A variable the stage does not define becomes the empty string, as API Gateway does. Filled
once per stage and route when the gateway deploys, never per request.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_VARIABLE = re.compile(r"\$\{stageVariables\.([A-Za-z0-9_.\-]+)\}")


def fill(text: str, variables: Mapping[str, str]) -> str:
    """``text`` with each ``${stageVariables.NAME}`` replaced by the stage's value."""
    if "${" not in text:
        return text
    return _VARIABLE.sub(lambda m: variables.get(m.group(1), ""), text)
