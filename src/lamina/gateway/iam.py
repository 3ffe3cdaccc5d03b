"""IAM authorization (``AWS_IAM``): a call gets in when it carries a SigV4 signature by a key
pair Lamina knows (the credentials ``lamina up`` prints, and ``LAMINA_CREDENTIALS``).

Contract of ``IamAuthorizer``: a pipeline step (``plan.py``). The signature is checked by
``net.sigv4`` over the request as sent (any service name in the scope: ``execute-api`` as AWS
clients sign, ``lambda`` for Function URLs); a refusal is API Gateway's 403 with its
``x-amzn-ErrorType``:

* no signature: ``Missing Authentication Token`` (``MissingAuthenticationTokenException``);
* an unknown key: ``The security token included in the request is invalid.``
  (``UnrecognizedClientException``);
* a wrong signature, or one outside the 15 minutes allowed: AWS's message
  (``InvalidSignatureException``); a malformed one (``IncompleteSignatureException``).

HTTP APIs answer 403 ``Forbidden`` and Function URLs 403 ``{"Message": "Forbidden"}`` for every
refusal, as they do on AWS. The caller reaches the integration: REST events carry
``requestContext.identity`` (``accessKey``, ``accountId``, ``caller``, ``user``, ``userArn``),
HTTP API events ``requestContext.authorizer.iam``. Lamina's keys stand for the account's root
user (``arn:aws:iam::<account>:root``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lamina import fastjson
from lamina.gateway.events import Call
from lamina.gateway.plan import Next
from lamina.model.apis import Api, ApiKind
from lamina.net import sigv4
from lamina.net.messages import Response, json_response

_ERROR_TYPES = {
    sigv4.MISSING: "MissingAuthenticationTokenException",
    sigv4.UNKNOWN_KEY: "UnrecognizedClientException",
    sigv4.MISMATCH: "InvalidSignatureException",
    sigv4.EXPIRED: "InvalidSignatureException",
    sigv4.BODY_MISMATCH: "InvalidSignatureException",
    sigv4.INCOMPLETE: "IncompleteSignatureException",
}


def refusal(api: Api, refused: sigv4.Refusal) -> Response:
    """API Gateway's answer to a call whose signature does not check out."""
    if api.kind is ApiKind.FUNCTION_URL:
        body: dict[str, Any] = {"Message": "Forbidden"}
        error_type: str | None = "AccessDeniedException"
    elif api.kind is ApiKind.HTTP:
        body, error_type = {"message": "Forbidden"}, None
    else:
        body = {"message": refused.message}
        error_type = _ERROR_TYPES.get(refused.kind, "AccessDeniedException")
    extra = [("x-amzn-ErrorType", error_type)] if error_type else None
    return json_response(403, fastjson.dumps(body), extra)


def identity(access_key_id: str, account_id: str) -> dict[str, Any]:
    """Who signed: the fields API Gateway fills in for an IAM caller."""
    return {
        "accessKey": access_key_id,
        "accountId": account_id,
        "caller": account_id,
        "user": account_id,
        "userArn": f"arn:aws:iam::{account_id}:root",
    }


class IamAuthorizer:
    """The ``AWS_IAM`` step of one route."""

    __slots__ = ("_api", "_secrets")

    def __init__(self, api: Api, secrets: Mapping[str, str]) -> None:
        self._api = api
        self._secrets = secrets

    async def __call__(self, call: Call, next: Next, /) -> Response:
        try:
            signer = sigv4.verify(call.request, self._secrets, call.time)
        except sigv4.Refusal as refused:
            return refusal(self._api, refused)
        caller = identity(signer.access_key_id, call.account_id)
        if self._api.kind is ApiKind.REST:
            call.caller = caller
        else:
            call.authorizer = {
                "iam": {
                    "accessKey": caller["accessKey"],
                    "accountId": caller["accountId"],
                    "callerId": caller["caller"],
                    "cognitoIdentity": None,
                    "principalOrgId": None,
                    "userArn": caller["userArn"],
                    "userId": caller["user"],
                }
            }
        return await next(call)
