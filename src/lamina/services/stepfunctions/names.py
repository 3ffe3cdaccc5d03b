"""Step Functions' ARNs and names, made and checked in one place.

``arn:aws:states:REGION:ACCOUNT:stateMachine:NAME``, ``...:execution:MACHINE:NAME`` (Standard),
``...:express:MACHINE:NAME:UUID`` (Express), ``...:activity:NAME``. A name is 1 to 80
characters with none of AWS's forbidden ones (whitespace, brackets, wildcards, ``"#%\\^|~`$&,;:/``
and control characters); a bad one is ``InvalidName: Invalid Name: 'NAME'``. An ARN of the
wrong kind is ``InvalidArn`` worded as AWS: ``Invalid Arn: 'Resource type not valid in this
context: execution'``.
"""

from __future__ import annotations

import re

from lamina.model import arns
from lamina.services.stepfunctions.errors import InvalidName, invalid_arn

_FORBIDDEN = re.compile(r"[\s<>{}\[\]?*\"#%\\^|~`$&,;:/\x00-\x1f\x7f-\x9f]")


def check_name(name: str) -> str:
    if not 1 <= len(name) <= 80 or _FORBIDDEN.search(name):
        raise InvalidName(f"Invalid Name: '{name}'")
    return name


def resource(arn: str, *kinds: str) -> list[str]:
    """The parts after the region and account of a states ARN of one of ``kinds``
    (``["stateMachine", "NAME"]``); ``InvalidArn`` otherwise."""
    parsed = arns.parse(arn)
    if parsed is None or not arn.startswith("arn:"):
        raise invalid_arn(f"Invalid ARN prefix: {arn}")
    if parsed.service != "states":
        raise invalid_arn(f"Invalid ARN service: {parsed.service}")
    parts = parsed.resource.split(":")
    if parts[0] not in kinds:
        raise invalid_arn(f"Resource type not valid in this context: {parts[0]}")
    if len(parts) < 2 or not all(parts[1:]):
        raise invalid_arn(f"Invalid ARN resource: {parsed.resource}")
    return parts


class Names:
    def __init__(self, region: str, account_id: str) -> None:
        self.region = region
        self.account_id = account_id

    def machine(self, name: str) -> str:
        return arns.arn("states", self.region, self.account_id, f"stateMachine:{name}")

    def execution(self, machine: str, name: str) -> str:
        return arns.arn("states", self.region, self.account_id, f"execution:{machine}:{name}")

    def express(self, machine: str, name: str, run: str) -> str:
        return arns.arn("states", self.region, self.account_id, f"express:{machine}:{name}:{run}")

    def map_run(self, machine: str, state: str, run: str) -> str:
        """A distributed Map's run: ``...:mapRun:MACHINE/MAPSTATE:UUID``."""
        return arns.arn("states", self.region, self.account_id, f"mapRun:{machine}/{state}:{run}")

    def activity(self, name: str) -> str:
        return arns.arn("states", self.region, self.account_id, f"activity:{name}")

    def machine_of(self, execution_arn: str) -> str:
        """The state machine's ARN of an execution's."""
        parts = resource(execution_arn, "execution", "express")
        return self.machine(parts[1])
