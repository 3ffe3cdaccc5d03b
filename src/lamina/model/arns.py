"""Amazon Resource Names: made and read in one place.

``arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE``; the resource part may itself hold colons
(``function:NAME:QUALIFIER``) or slashes (``table/NAME``). Lambda's ``FunctionName`` parameter
takes a name, a partial ARN (``ACCOUNT:function:NAME``) or a full ARN, each with an optional
``:QUALIFIER``: ``split_function`` reads all of them.
"""

from __future__ import annotations

import hashlib
import re
import string
from dataclasses import dataclass

_FUNCTION = re.compile(
    r"^(?:arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:|\d{12}:function:)?"
    r"(?P<name>[A-Za-z0-9_.-]+)(?::(?P<qualifier>\$LATEST|[A-Za-z0-9_-]+))?$"
)


@dataclass(frozen=True, slots=True)
class Arn:
    partition: str
    service: str
    region: str
    account: str
    resource: str

    def __str__(self) -> str:
        return f"arn:{self.partition}:{self.service}:{self.region}:{self.account}:{self.resource}"


def arn(service: str, region: str, account: str, resource: str, partition: str = "aws") -> str:
    return f"arn:{partition}:{service}:{region}:{account}:{resource}"


def parse(text: str) -> Arn | None:
    """The parts of an ARN; None when ``text`` is not one."""
    parts = text.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or not parts[1] or not parts[2]:
        return None
    return Arn(parts[1], parts[2], parts[3], parts[4], parts[5])


def service_of(text: str) -> str:
    """``arn:aws:sqs:...`` -> ``sqs``; "" for anything that is not an ARN."""
    found = parse(text)
    return found.service if found else ""


def function_arn(region: str, account: str, name: str, qualifier: str | None = None) -> str:
    base = arn("lambda", region, account, f"function:{name}")
    return f"{base}:{qualifier}" if qualifier else base


def split_function(function: str) -> tuple[str, str | None]:
    """A FunctionName parameter (name, ARN or partial ARN, maybe qualified) -> (name,
    qualifier); a value that is none of those comes back whole, unqualified."""
    match = _FUNCTION.match(function)
    if match is None:
        return function, None
    return match.group("name"), match.group("qualifier")


def is_function_reference(function: str) -> bool:
    """Whether ``function`` is a valid name, partial ARN or ARN of a function."""
    return _FUNCTION.match(function) is not None


def integration_target(target: str) -> tuple[str, str | None]:
    """What an API Gateway Lambda integration names: a function ARN (any account or region, as
    its URI holds it) or ``NAME[:QUALIFIER]`` -> (NAME, QUALIFIER)."""
    found = parse(target)
    if found is not None and found.service == "lambda" and found.resource.startswith("function:"):
        _, name, *rest = found.resource.split(":")
        return name, (rest[0] if rest and rest[0] else None)
    name, _, qualifier = target.partition(":")
    return name, qualifier or None


_BASE62 = string.ascii_letters + string.digits


def secret_suffix(name: str) -> str:
    """The six characters AWS appends to a secret's name in its ARN: random for a secret made
    through the API, derived from the name for a template's (its ``!Ref`` is known before the
    secret exists)."""
    number = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big")
    return "".join(_BASE62[(number >> (6 * i)) % 62] for i in range(6))


def secret_arn(region: str, account: str, name: str, suffix: str | None = None) -> str:
    return arn("secretsmanager", region, account, f"secret:{name}-{suffix or secret_suffix(name)}")


def _events_id(kind: str, name: str) -> str:
    """The id AWS puts after a connection's or API destination's name (a UUID), fixed per
    name: the template's ``GetAtt`` and what Lamina creates must agree."""
    import uuid

    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"lamina:events:{kind}:{name}"))


def connection_arn(region: str, account: str, name: str) -> str:
    return arn("events", region, account, f"connection/{name}/{_events_id('connection', name)}")


def api_destination_arn(region: str, account: str, name: str) -> str:
    resource = f"api-destination/{name}/{_events_id('api-destination', name)}"
    return arn("events", region, account, resource)
