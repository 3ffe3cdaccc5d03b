"""Lamina's DynamoDB endpoint, served in-process on a real socket, and moto beside it.

``LaminaServer`` runs the HTTP server and the AWS endpoint on an event loop in a background
thread (port 0); each test gets a fresh ``DynamoDBService`` on a fresh state directory behind it.
``outcome`` turns a boto3 call into plain data (the response without its metadata, or the error
code and message) so that two backends' answers compare with ``==``.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from lamina.net.server import serve
from lamina.services.auth.guard import Door
from lamina.services.dynamodb.service import DynamoDBService
from lamina.services.endpoint import Endpoint

REGION = "us-east-1"
CREDENTIALS = {"aws_access_key_id": "lamina", "aws_secret_access_key": "lamina"}
# No retries: a retried request would hide the first answer, which is what a test compares.
CONFIG = Config(retries={"max_attempts": 1, "mode": "standard"})


class LaminaServer:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        # The door checks every request's signature, as `lamina up`'s does.
        door = Door.build(
            {CREDENTIALS["aws_access_key_id"]: CREDENTIALS["aws_secret_access_key"]}, "127.0.0.1", 0
        )
        self.endpoint = Endpoint([], door=door)
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.server = self.run(serve(self.endpoint, "127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    def run(self, coro: Any) -> Any:
        future: Future[Any] = asyncio.run_coroutine_threadsafe(coro, self.loop)
        return future.result(timeout=30)

    def attach(self, state_dir: Path, **kw: Any) -> DynamoDBService:
        service = DynamoDBService(state_dir, REGION, **kw)
        self.endpoint.services = [service]
        return service

    def detach(self, service: DynamoDBService) -> None:
        self.endpoint.services = []
        self.run(service.close())

    def close(self) -> None:
        self.server.close()
        self.run(self.server.wait_closed())
        # Let connection_lost callbacks of connections the clients just closed run.
        self.run(asyncio.sleep(0.05))
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()

    def client(self, service: str = "dynamodb") -> Any:
        return boto3.client(
            service, region_name=REGION, endpoint_url=self.url, config=CONFIG, **CREDENTIALS
        )


def outcome(call: Callable[..., Any], /, **kw: Any) -> Any:
    """The response of ``call(**kw)`` without ResponseMetadata, or ``{"Error": code, "Message":
    message}`` when it fails."""
    try:
        response = call(**kw)
    except ClientError as exc:
        error = exc.response["Error"]
        result = {"Error": error["Code"], "Message": error.get("Message")}
        for extra in ("Item", "CancellationReasons"):
            if extra in exc.response:
                result[extra] = exc.response[extra]
        return result
    response.pop("ResponseMetadata", None)
    if "ReturnConsumedCapacity" not in kw:
        # moto reports ConsumedCapacity on writes nobody asked it for; AWS only when asked.
        response.pop("ConsumedCapacity", None)
    if not response.get("ItemCollectionMetrics") and "ReturnItemCollectionMetrics" not in kw:
        # Likewise an empty ItemCollectionMetrics.
        response.pop("ItemCollectionMetrics", None)
    return response


def error_code(result: Any) -> str | None:
    return result.get("Error") if isinstance(result, dict) else None
