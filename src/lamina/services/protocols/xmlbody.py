"""XML bodies from shapes, as the ``query`` and ``rest-xml`` protocols write and read them.

Writing: a structure's members become child elements named by their ``locationName``; a list is
``<Name><member>...</member></Name>`` (its member's own ``locationName`` when it has one) or,
``flattened``, the element repeated; a map is ``<entry><key/><value/></entry>`` entries (or,
flattened, repeated elements holding ``key`` and ``value``); timestamps ISO 8601 unless the member
says otherwise, booleans ``true``/``false``, blobs base64. ``None`` members are left out.

Reading (``rest-xml`` request bodies) is the same mapping backwards into raw strings, which the
caller converts and checks. The standard library's parser resolves no external entities.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from lamina.services.protocols import scalars
from lamina.services.protocols.shapes import Member, Shape

DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'


def element(name: str, shape: Shape, value: Any, fmt: str | None = None) -> str:
    """``value`` as the element ``name``, following ``shape``."""
    if shape.kind == "structure":
        return f"<{name}{_attributes(shape, value)}>{children(shape, value)}</{name}>"
    if shape.kind == "list":
        assert shape.member is not None
        return f"<{name}>{_items(shape, shape.member, value)}</{name}>"
    if shape.kind == "map":
        return f"<{name}>{_entries(shape, value, 'entry')}</{name}>"
    return f"<{name}>{text(shape, value, fmt)}</{name}>"


def children(shape: Shape, value: dict[str, Any]) -> str:
    """A structure's members as a sequence of elements (its contents, without a wrapper)."""
    parts: list[str] = []
    for name, member in shape.members.items():
        item = value.get(name)
        if item is None or member.xml_attribute or member.location:
            continue
        tag = member.wire_name
        kind = member.shape.kind
        if kind == "list" and (member.flattened or member.shape.flattened):
            assert member.shape.member is not None
            inner = member.shape.member
            parts.extend(element(tag, inner.shape, v, inner.timestamp_format) for v in item)
        elif kind == "map" and (member.flattened or member.shape.flattened):
            parts.append(_entries(member.shape, item, tag))
        else:
            parts.append(element(tag, member.shape, item, member.timestamp_format))
    return "".join(parts)


def _attributes(shape: Shape, value: dict[str, Any]) -> str:
    found = [
        f" {m.wire_name}={quoteattr(text(m.shape, value[n], m.timestamp_format))}"
        for n, m in shape.members.items()
        if m.xml_attribute and value.get(n) is not None
    ]
    return "".join(found)


def _items(shape: Shape, member: Member, value: list[Any]) -> str:
    tag = member.wire_name if member.wire_name != "member" else "member"
    return "".join(element(tag, member.shape, v, member.timestamp_format) for v in value)


def _entries(shape: Shape, value: dict[str, Any], tag: str) -> str:
    assert shape.key is not None and shape.value is not None
    key, val = shape.key, shape.value
    return "".join(
        f"<{tag}>{element(key.wire_name, key.shape, k)}"
        f"{element(val.wire_name, val.shape, v, val.timestamp_format)}</{tag}>"
        for k, v in value.items()
    )


def text(shape: Shape, value: Any, fmt: str | None = None) -> str:
    kind = shape.kind
    if kind == "boolean":
        return scalars.write_bool(bool(value))
    if kind == "timestamp":
        return escape(
            str(scalars.write_timestamp(value, fmt or shape.timestamp_format or scalars.ISO))
        )
    if kind == "blob":
        return scalars.write_blob(value)
    if isinstance(value, dt.datetime):
        return escape(value.isoformat())
    return escape(str(value))


def read(shape: Shape, node: ET.Element) -> Any:
    """An element's contents as raw values (strings at the leaves) following ``shape``."""
    kind = shape.kind
    if kind == "structure":
        out: dict[str, Any] = {}
        for name, member in shape.members.items():
            if member.location:
                continue
            if member.xml_attribute:
                if member.wire_name in node.attrib:
                    out[name] = node.attrib[member.wire_name]
                continue
            found = [c for c in node if _local(c.tag) == member.wire_name]
            if not found:
                continue
            if member.shape.kind == "list" and (member.flattened or member.shape.flattened):
                assert member.shape.member is not None
                out[name] = [read(member.shape.member.shape, c) for c in found]
            else:
                out[name] = read(member.shape, found[0])
        return out
    if kind == "list":
        assert shape.member is not None
        return [read(shape.member.shape, c) for c in node]
    if kind == "map":
        assert shape.key is not None and shape.value is not None
        result = {}
        for entry in node:
            k = entry.find(shape.key.wire_name)
            v = entry.find(shape.value.wire_name)
            if k is not None and v is not None:
                result[k.text or ""] = read(shape.value.shape, v)
        return result
    return node.text or ""


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]
