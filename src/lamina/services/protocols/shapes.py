"""botocore's shapes, compiled once into what parsing, validating and serialising need.

A ``Shape`` is one node of a service's model: its type, where its members travel (body, header,
querystring, URI label, status code), their names on the wire (``locationName``, a list's
``member`` name, ``flattened``), which members are required and how timestamps are written. A
``Model`` compiles every shape an operation reaches the first time the operation is asked for
(recursive shapes share one node), so a request walks small dataclasses, never botocore's lazy
objects.

Loading a model reads one JSON file from botocore (tens of milliseconds); models are cached per
process.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import botocore.loaders
    import botocore.model

# botocore (150 modules, 13 MB) is imported with the first model: ``lamina up`` builds every
# service from the model's metadata alone (``catalog``).
SCALAR = frozenset({"string", "integer", "long", "float", "double", "boolean"})


@dataclass(eq=False)
class Shape:
    name: str
    kind: str  # structure, list, map, string, integer, long, float, double, boolean, ...
    # structure: member name -> its shape and how it travels
    members: dict[str, Member] = field(default_factory=dict)
    required: tuple[str, ...] = ()
    payload: str | None = None  # a REST output's member that is the whole body
    # list and map
    member: Member | None = None
    key: Member | None = None
    value: Member | None = None
    flattened: bool = False
    timestamp_format: str | None = None
    enum: tuple[str, ...] = ()  # in the model's order, as AWS's messages list them
    min: int | None = None
    max: int | None = None
    location_name: str | None = None
    xml_namespace: str | None = None


@dataclass(eq=False)
class Member:
    name: str
    shape: Shape
    location: str | None  # None (body), header, headers, querystring, uri, statusCode
    wire_name: str  # locationName, or the member's own name
    flattened: bool
    timestamp_format: str | None
    xml_attribute: bool = False
    json_value: bool = False  # a header holding base64 JSON (``jsonvalue``)
    # The name in AWS's validation messages (lower-case first letter), made once here.
    path_name: str = ""

    def __post_init__(self) -> None:
        self.path_name = self.name[:1].lower() + self.name[1:]


@dataclass(frozen=True, slots=True)
class Operation:
    name: str
    method: str
    request_uri: str
    status: int
    input: Shape | None
    output: Shape | None
    result_wrapper: str | None
    deprecated: bool


class Model:
    """One botocore service model, compiled lazily per operation."""

    def __init__(self, service: botocore.model.ServiceModel) -> None:
        self.service = service
        self.name = service.service_name
        self.protocol = service.protocol
        self.protocols: tuple[str, ...] = tuple(
            service.metadata.get("protocols") or (service.protocol,)
        )
        meta = service.metadata
        self.target_prefix: str | None = meta.get("targetPrefix")
        self.json_version: str = meta.get("jsonVersion", "1.0")
        self.api_version: str = meta.get("apiVersion", "")
        namespace = meta.get("xmlNamespace")
        self.xml_namespace: str | None = (
            namespace.get("uri") if isinstance(namespace, dict) else namespace
        )
        self._shapes: dict[str, Shape] = {}
        self._operations: dict[str, Operation] = {}

    @property
    def operation_names(self) -> list[str]:
        return list(self.service.operation_names)

    def operation(self, name: str) -> Operation | None:
        found = self._operations.get(name)
        if found is not None:
            return found
        if name not in self.service.operation_names:
            return None
        model = self.service.operation_model(name)
        http = model.http
        output = model.output_shape
        found = Operation(
            name=name,
            method=http.get("method", "POST"),
            request_uri=http.get("requestUri", "/"),
            status=int(http.get("responseCode", 200)),
            input=self.shape(model.input_shape) if model.input_shape is not None else None,
            output=self.shape(output) if output is not None else None,
            result_wrapper=output.serialization.get("resultWrapper") if output else None,
            deprecated=bool(model.deprecated),
        )
        self._operations[name] = found
        return found

    def shape(self, source: botocore.model.Shape) -> Shape:
        known = self._shapes.get(source.name)
        if known is not None:
            return known
        import botocore.model

        serial = source.serialization
        meta = source.metadata
        shape = Shape(
            name=source.name,
            kind=source.type_name,
            timestamp_format=serial.get("timestampFormat"),
            enum=tuple(getattr(source, "enum", None) or ()),
            min=meta.get("min"),
            max=meta.get("max"),
            flattened=bool(serial.get("flattened")),
            location_name=serial.get("name") or serial.get("locationName"),
            xml_namespace=(serial.get("xmlNamespace") or {}).get("uri")
            if isinstance(serial.get("xmlNamespace"), dict)
            else None,
            payload=serial.get("payload"),
        )
        self._shapes[source.name] = shape  # before members: recursive shapes point back here
        if isinstance(source, botocore.model.StructureShape):
            shape.members = {n: self._member(n, s) for n, s in source.members.items()}
            shape.required = tuple(source.required_members)
        elif isinstance(source, botocore.model.ListShape):
            shape.member = self._member("member", source.member)
        elif isinstance(source, botocore.model.MapShape):
            shape.key = self._member("key", source.key)
            shape.value = self._member("value", source.value)
        return shape

    def _member(self, name: str, source: botocore.model.Shape) -> Member:
        serial = source.serialization
        return Member(
            name=name,
            shape=self.shape(source),
            location=serial.get("location"),
            wire_name=serial.get("name") or name,
            flattened=bool(serial.get("flattened")),
            timestamp_format=serial.get("timestampFormat"),
            xml_attribute=bool(serial.get("xmlAttribute")),
            json_value=bool(serial.get("jsonvalue")),
        )


@functools.cache
def model(name: str) -> Model:
    """The compiled model botocore keeps under ``name`` (``sts``, ``logs``, ``dynamodb``...)."""
    import botocore.loaders
    import botocore.model

    document = _loader().load_service_model(name, "service-2")
    return Model(botocore.model.ServiceModel(document, service_name=name))


@functools.cache
def _loader() -> botocore.loaders.Loader:
    import botocore.loaders

    return botocore.loaders.Loader()
