"""EventBridge Pipes a template declares (``AWS::Pipes::Pipe``), with every intrinsic function
resolved: the pipe as the Pipes API's ``CreatePipe`` takes it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lamina import fastjson


@dataclass(frozen=True, slots=True)
class PipeSpec:
    logical_id: str
    # The physical name (``Name``, else ``{stack}-{LogicalId}-{SUFFIX}`` cut to 64).
    name: str
    # CreatePipe's members the template sets (Source, Target, SourceParameters, DesiredState,
    # Tags as a map...), as JSON text so the spec stays hashable and comparable.
    members: str

    def describe(self) -> str:
        """``name: source -> target`` (the last part of each ARN), for the banner."""
        members = dict(fastjson.loads(self.members))

        def short(arn: str) -> str:
            resource = arn.split(":", 5)[-1]
            if resource.startswith("table/"):
                # A stream is shown by its table (its own label is a timestamp).
                return resource.split("/")[1]
            return resource.rsplit(":", 1)[-1].rsplit("/", 1)[-1]

        return f"{self.name}: {short(str(members['Source']))} -> {short(str(members['Target']))}"

    def request(self) -> dict[str, Any]:
        """The members, as a CreatePipe request holds them (``Name`` included)."""
        return {**dict(fastjson.loads(self.members)), "Name": self.name}
