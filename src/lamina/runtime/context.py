"""The ``context`` argument of a Python handler, field for field as Lambda's runtime builds it."""

from __future__ import annotations

import os
import time
from typing import Any


class CognitoIdentity:
    __slots__ = ("cognito_identity_id", "cognito_identity_pool_id")

    def __init__(self, document: dict[str, Any] | None = None) -> None:
        document = document or {}
        self.cognito_identity_id = document.get("cognitoIdentityId")
        self.cognito_identity_pool_id = document.get("cognitoIdentityPoolId")

    def __repr__(self) -> str:
        return (
            f"CognitoIdentity([cognito_identity_id={self.cognito_identity_id},"
            f"cognito_identity_pool_id={self.cognito_identity_pool_id}])"
        )


class Client:
    __slots__ = (
        "app_package_name",
        "app_title",
        "app_version_code",
        "app_version_name",
        "installation_id",
    )

    def __init__(self, document: dict[str, Any]) -> None:
        for name in self.__slots__:
            setattr(self, name, document.get(name))


class ClientContext:
    __slots__ = ("client", "custom", "env")

    def __init__(self, document: dict[str, Any]) -> None:
        client = document.get("client")
        self.client = Client(client) if isinstance(client, dict) else None
        self.custom = document.get("custom")
        self.env = document.get("env")


class _Reserved:
    """Reserved variables as ``os.environ`` holds them now (a context reads them at each
    invocation, as Lambda's runtime does), decoded again only when their value changed."""

    def __init__(self) -> None:
        self._data: dict[bytes, bytes] = os.environ._data  # type: ignore[attr-defined]
        self._decoded: dict[bytes, tuple[bytes, str]] = {}

    def get(self, key: bytes) -> str | None:
        raw = self._data.get(key)
        if raw is None:
            return None
        seen = self._decoded.get(key)
        if seen is not None and seen[0] is raw:
            return seen[1]
        value: str = os.environ.decodevalue(raw)  # type: ignore[arg-type]  # bytes in, str out
        self._decoded[key] = (raw, value)
        return value


_RESERVED = _Reserved()


class LambdaContext:
    """Built per invocation; environment-level fields come from the reserved variables."""

    def __init__(
        self,
        request_id: str,
        deadline_ms: int,
        invoked_function_arn: str,
        client_context: dict[str, Any] | None = None,
        cognito_identity: dict[str, Any] | None = None,
        tenant_id: str | None = None,
    ) -> None:
        env = _RESERVED.get
        self.aws_request_id = request_id
        self.function_name = env(b"AWS_LAMBDA_FUNCTION_NAME")
        self.function_version = env(b"AWS_LAMBDA_FUNCTION_VERSION")
        self.memory_limit_in_mb = env(b"AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.log_group_name = env(b"AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = env(b"AWS_LAMBDA_LOG_STREAM_NAME")
        self.invoked_function_arn = invoked_function_arn
        self.tenant_id = tenant_id
        self.client_context = ClientContext(client_context) if client_context else None
        self.identity = CognitoIdentity(cognito_identity)
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        remaining = self._deadline_ms - int(time.time() * 1000)
        return remaining if remaining > 0 else 0

    def log(self, message: str) -> None:
        import sys

        sys.stdout.write(str(message))

    def __repr__(self) -> str:
        return (
            f"LambdaContext([aws_request_id={self.aws_request_id},"
            f"log_group_name={self.log_group_name},log_stream_name={self.log_stream_name},"
            f"function_name={self.function_name},memory_limit_in_mb={self.memory_limit_in_mb},"
            f"function_version={self.function_version},"
            f"invoked_function_arn={self.invoked_function_arn},"
            f"client_context={self.client_context},identity={self.identity},"
            f"tenant_id={self.tenant_id}])"
        )
