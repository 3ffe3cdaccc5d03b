"""A distributed Map's ``ItemReader``: the items read from Lamina's S3 instead of the input.

``Resource`` ``arn:aws:states:::s3:getObject`` reads one object (``Parameters``/``Arguments``
``Bucket``, ``Key``) as ``ReaderConfig.InputType``: ``JSON`` (an array), ``JSONL`` (one value a
line), ``CSV`` (each row an object keyed by the header: the first row, ``CSVHeaderLocation``
``FIRST_ROW``, or ``CSVHeaders`` with ``GIVEN``; values stay text, as AWS leaves them);
``arn:aws:states:::s3:listObjectsV2`` (``Bucket``, ``Prefix``) gives each object as
``{Key, Size, Etag, LastModified, StorageClass}``. ``ReaderConfig.MaxItems`` caps the count.
S3 is called in process through ``Tasks.s3`` (the seam the ``aws-sdk:s3`` tasks use); a
missing bucket or key, or content that is not what ``InputType`` says, is
``States.ItemReaderFailed`` with the reason.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from lamina import fastjson, timestamps
from lamina.services.stepfunctions.tasks import Tasks
from lamina.states import Scope, State, StatesError, jsonata, payload
from lamina.states.errors import ITEM_READER_FAILED
from lamina.states.processing import bindings_for

GET = "arn:aws:states:::s3:getObject"
LIST = "arn:aws:states:::s3:listObjectsV2"


async def read_items(tasks: Tasks, state: State, raw_input: Any, scope: Scope) -> list[Any]:
    try:
        return await _read(tasks, state, raw_input, scope)
    except StatesError as failure:
        if failure.error == ITEM_READER_FAILED:
            raise
        raise StatesError(ITEM_READER_FAILED, f"{failure.error}: {failure.cause}") from None


async def _read(tasks: Tasks, state: State, raw_input: Any, scope: Scope) -> list[Any]:
    reader = dict(state.fields["ItemReader"])
    config = dict(reader.get("ReaderConfig") or {})
    if state.jsonata:
        where = jsonata.resolve(
            reader.get("Arguments") or {}, bindings_for(scope, raw_input), "ItemReader"
        )
    else:
        where = payload.template(reader.get("Parameters") or {}, raw_input, scope)
    if not isinstance(where, dict) or "Bucket" not in where:
        raise StatesError(ITEM_READER_FAILED, "The ItemReader needs a Bucket")
    resource = str(reader.get("Resource"))
    if resource == LIST:
        items = await _listed(tasks, str(where["Bucket"]), str(where.get("Prefix") or ""))
    elif resource == GET:
        if "Key" not in where:
            raise StatesError(ITEM_READER_FAILED, "The ItemReader needs a Key for s3:getObject")
        body = await tasks.s3("GetObject", {"Bucket": where["Bucket"], "Key": where["Key"]})
        items = _parsed(bytes(body.get("Body") or b""), config)
    else:
        raise StatesError(ITEM_READER_FAILED, f"Lamina's ItemReader does not read {resource}")
    limit = config.get("MaxItems")
    return items[: int(limit)] if limit else items


async def _listed(tasks: Tasks, bucket: str, prefix: str) -> list[Any]:
    items: list[Any] = []
    token: str | None = None
    while True:
        params: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix}
        if token is not None:
            params["ContinuationToken"] = token
        page = await tasks.s3("ListObjectsV2", params)
        for entry in page.get("Contents") or []:
            modified = entry.get("LastModified")
            if isinstance(modified, int | float):
                modified = timestamps.iso_millis(float(modified))
            items.append(
                {
                    "Key": entry["Key"],
                    "Size": entry.get("Size", 0),
                    "Etag": entry.get("ETag"),
                    "LastModified": str(modified),
                    "StorageClass": entry.get("StorageClass", "STANDARD"),
                }
            )
        token = page.get("NextContinuationToken")
        if not page.get("IsTruncated") or token is None:
            return items


def _parsed(body: bytes, config: dict[str, Any]) -> list[Any]:
    kind = str(config.get("InputType") or "JSON")
    text = body.decode("utf-8", "replace")
    try:
        if kind == "JSON":
            value = fastjson.loads(text)
            if not isinstance(value, list):
                raise StatesError(ITEM_READER_FAILED, "The JSON object must be an array")
            return value
        if kind == "JSONL":
            return [fastjson.loads(line) for line in text.splitlines() if line.strip()]
    except ValueError as exc:
        raise StatesError(ITEM_READER_FAILED, f"The object is not valid {kind}: {exc}") from None
    if kind == "CSV":
        rows = list(csv.reader(io.StringIO(text)))
        if config.get("CSVHeaderLocation") == "GIVEN":
            header = [str(h) for h in config.get("CSVHeaders") or []]
        else:
            header, rows = (rows[0], rows[1:]) if rows else ([], [])
        return [dict(zip(header, row, strict=False)) for row in rows if row]
    raise StatesError(ITEM_READER_FAILED, f"Lamina's ItemReader does not read InputType {kind}")
