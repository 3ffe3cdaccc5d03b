"""Tags on tables: TagResource, UntagResource, ListTagsOfResource (kept in the table's
definition, so they live and die with it)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lamina.services.dynamodb.database import Database
from lamina.services.dynamodb.errors import ValidationException

Params = Mapping[str, Any]
MAX_TAGS = 50


def tag_resource(db: Database, params: Params) -> dict[str, Any]:
    table = db.table_by_arn(params.get("ResourceArn"))
    tags = dict(table.tags)
    for tag in params.get("Tags") or []:
        tags[str(tag["Key"])] = str(tag["Value"])
    if len(tags) > MAX_TAGS:
        raise ValidationException("The number of tags exceeds the limit of 50")
    with db.store.transaction():
        db.store.save_table(table.with_(tags=tags))
    return {}


def untag_resource(db: Database, params: Params) -> dict[str, Any]:
    table = db.table_by_arn(params.get("ResourceArn"))
    removed = set(params.get("TagKeys") or [])
    tags = {k: v for k, v in table.tags.items() if k not in removed}
    with db.store.transaction():
        db.store.save_table(table.with_(tags=tags))
    return {}


def list_tags_of_resource(db: Database, params: Params) -> dict[str, Any]:
    table = db.table_by_arn(params.get("ResourceArn"))
    return {"Tags": [{"Key": k, "Value": v} for k, v in table.tags.items()]}
