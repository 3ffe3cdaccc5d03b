"""SQS's model as query clients speak it, derived from botocore's json model.

botocore ships SQS's model for the json protocol only, without the wire names the query protocol
used (``Attribute.1.Name``, ``MessageAttribute.1.Value.StringValue``, ``<Message>`` repeated in
a ``ReceiveMessageResult``...). Older SDKs and tools still send ``Action=SendMessage`` forms, so
this module puts those names back (from the 2012-11-05 query API reference): every list and map
is flattened, members take their singular query names and maps their ``Name``/``Value`` (tags
``Key``/``Value``) entries; each operation's output is wrapped in ``<OpResult>``.
"""

from __future__ import annotations

import copy
import functools
from typing import Any

from lamina.services.protocols.shapes import Model

XML_NAMESPACE = "http://queue.amazonaws.com/doc/2012-11-05/"

# (structure, member) -> the member's name in query forms and XML answers.
_MEMBER_NAMES: dict[tuple[str, str], str] = {
    ("CreateQueueRequest", "Attributes"): "Attribute",
    ("CreateQueueRequest", "tags"): "Tag",
    ("SetQueueAttributesRequest", "Attributes"): "Attribute",
    ("GetQueueAttributesRequest", "AttributeNames"): "AttributeName",
    ("GetQueueAttributesResult", "Attributes"): "Attribute",
    ("ReceiveMessageRequest", "AttributeNames"): "AttributeName",
    ("ReceiveMessageRequest", "MessageAttributeNames"): "MessageAttributeName",
    ("ReceiveMessageRequest", "MessageSystemAttributeNames"): "MessageSystemAttributeName",
    ("ReceiveMessageResult", "Messages"): "Message",
    ("Message", "Attributes"): "Attribute",
    ("Message", "MessageAttributes"): "MessageAttribute",
    ("MessageAttributeValue", "StringListValues"): "StringListValue",
    ("MessageAttributeValue", "BinaryListValues"): "BinaryListValue",
    ("MessageSystemAttributeValue", "StringListValues"): "StringListValue",
    ("MessageSystemAttributeValue", "BinaryListValues"): "BinaryListValue",
    ("SendMessageRequest", "MessageAttributes"): "MessageAttribute",
    ("SendMessageRequest", "MessageSystemAttributes"): "MessageSystemAttribute",
    ("SendMessageBatchRequest", "Entries"): "SendMessageBatchRequestEntry",
    ("SendMessageBatchRequestEntry", "MessageAttributes"): "MessageAttribute",
    ("SendMessageBatchRequestEntry", "MessageSystemAttributes"): "MessageSystemAttribute",
    ("SendMessageBatchResult", "Successful"): "SendMessageBatchResultEntry",
    ("SendMessageBatchResult", "Failed"): "BatchResultErrorEntry",
    ("DeleteMessageBatchRequest", "Entries"): "DeleteMessageBatchRequestEntry",
    ("DeleteMessageBatchResult", "Successful"): "DeleteMessageBatchResultEntry",
    ("DeleteMessageBatchResult", "Failed"): "BatchResultErrorEntry",
    ("ChangeMessageVisibilityBatchRequest", "Entries"): "ChangeMessageVisibilityBatchRequestEntry",
    ("ChangeMessageVisibilityBatchResult", "Successful"): "ChangeMessageVisibilityBatchResultEntry",
    ("ChangeMessageVisibilityBatchResult", "Failed"): "BatchResultErrorEntry",
    ("ListQueuesResult", "QueueUrls"): "QueueUrl",
    ("ListDeadLetterSourceQueuesResult", "queueUrls"): "QueueUrl",
    ("TagQueueRequest", "Tags"): "Tag",
    ("UntagQueueRequest", "TagKeys"): "TagKey",
    ("ListQueueTagsResult", "Tags"): "Tag",
    ("AddPermissionRequest", "AWSAccountIds"): "AWSAccountId",
    ("AddPermissionRequest", "Actions"): "ActionName",
    ("ListMessageMoveTasksResult", "Results"): "ListMessageMoveTasksResultEntry",
}
_TAG_MAPS = frozenset({"TagMap"})


def _lenient(document: dict[str, Any]) -> dict[str, Any]:
    """The model without the enum of queue attribute names: SQS answers an unknown name with
    its own ``InvalidAttributeName`` ("Unknown Attribute X."), not a validation error."""
    doc = copy.deepcopy(document)
    doc["shapes"]["QueueAttributeName"].pop("enum", None)
    return doc


def _patch(document: dict[str, Any]) -> dict[str, Any]:
    doc = _lenient(document)
    doc["metadata"] = {
        **doc["metadata"],
        "protocol": "query",
        "protocols": ["query"],
        "xmlNamespace": XML_NAMESPACE,
    }
    shapes: dict[str, dict[str, Any]] = doc["shapes"]
    for name, shape in shapes.items():
        kind = shape.get("type")
        if kind in ("list", "map"):
            shape["flattened"] = True
        if kind == "map":
            key, value = ("Key", "Value") if name in _TAG_MAPS else ("Name", "Value")
            shape["key"] = {**shape["key"], "locationName": key}
            shape["value"] = {**shape["value"], "locationName": value}
        if kind == "structure":
            for member_name, member in shape.get("members", {}).items():
                wire = _MEMBER_NAMES.get((name, member_name))
                if wire is not None:
                    member["locationName"] = wire
    for name, operation in doc["operations"].items():
        output = operation.get("output")
        if output is not None:
            operation["output"] = {**output, "resultWrapper": f"{name}Result"}
    return doc


# botocore is imported with the first SQS request (``ModelService.load_model``), not at start.
@functools.cache
def json_model() -> Model:
    import botocore.loaders
    import botocore.model

    document = botocore.loaders.Loader().load_service_model("sqs", "service-2")
    return Model(botocore.model.ServiceModel(_lenient(document), service_name="sqs"))


@functools.cache
def query_model() -> Model:
    import botocore.loaders
    import botocore.model

    document = botocore.loaders.Loader().load_service_model("sqs", "service-2")
    return Model(botocore.model.ServiceModel(_patch(document), service_name="sqs"))
