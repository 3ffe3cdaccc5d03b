"""STS on the AWS endpoint: ``GetCallerIdentity``, answered for the account Lamina runs as.

Every request is the account's root user (Lamina verifies no signatures yet): ``Account`` is
the configured account id, ``Arn`` ``arn:aws:iam::ACCOUNT:root`` and ``UserId`` the account id,
as AWS answers for root credentials. Other STS operations are answered "Lamina does not serve
sts:AssumeRole yet." in the query protocol, by ``ModelService``.
"""

from __future__ import annotations

from typing import Any

from lamina.services.protocols.service import ModelService


class Identity:
    def __init__(self, account_id: str) -> None:
        self.account_id = account_id

    def get_caller_identity(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "UserId": self.account_id,
            "Account": self.account_id,
            "Arn": f"arn:aws:iam::{self.account_id}:root",
        }


def sts_service(account_id: str) -> ModelService:
    identity = Identity(account_id)
    return ModelService("sts", {"GetCallerIdentity": identity.get_caller_identity})
