"""EventBridge connections and API destinations: HTTP endpoints as rule targets.

A connection holds how to authorise (``API_KEY``: a header; ``BASIC``: a user and password;
``OAUTH_CLIENT_CREDENTIALS``: a client id and secret exchanged at the authorization endpoint for
a bearer token, fetched at the first call and again when the endpoint refuses it) and the
``InvocationHttpParameters`` every call carries. Its secrets stay in Lamina's state
(``events.sqlite3``), never in answers: ``DescribeConnection`` shows the key's name, the user
and the client id, as AWS does. A connection is ``AUTHORIZED`` once created.

An API destination is an endpoint (``*`` placeholders filled from the target's
``HttpParameters.PathParameterValues``), a method and a connection. Calling it sends the
event (or the target's ``Input``...) as the body with ``Content-Type: application/json;
charset=utf-8``, the connection's and the target's headers and query strings; a 2xx answer is
delivered, anything else fails the attempt (the rule's retry policy and dead-letter queue
decide what follows). ``InvocationRateLimitPerSecond`` is recorded, not enforced.
"""

from __future__ import annotations

import base64
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from lamina import fastjson, ids
from lamina.delivery import DeliveryError
from lamina.model import arns
from lamina.model.schedules import ApiDestinationSpec, ConnectionSpec
from lamina.services.events.errors import (
    ResourceAlreadyExistsException,
    ResourceNotFoundException,
    ValidationException,
)
from lamina.services.lambda_.pagination import paginate

if TYPE_CHECKING:
    from lamina.services.events.service import EventBridge

CONNECTION = "connection"
API_DESTINATION = "api-destination"
HTTP_TIMEOUT_S = 5.0
_AUTH_KEYS = {
    "API_KEY": "ApiKeyAuthParameters",
    "BASIC": "BasicAuthParameters",
    "OAUTH_CLIENT_CREDENTIALS": "OAuthParameters",
}
# What DescribeConnection shows of each kind of parameters (never a secret).
_SHOWN = {
    "ApiKeyAuthParameters": ("ApiKeyName",),
    "BasicAuthParameters": ("Username",),
    "OAuthParameters": ("ClientParameters", "AuthorizationEndpoint", "HttpMethod"),
}
Params = dict[str, Any]


class ApiDestinations:
    def __init__(self, bridge: EventBridge) -> None:
        self.bridge = bridge
        self.store = bridge.store
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        self._tokens: dict[str, str] = {}
        self._tokens_lock = threading.Lock()

    def operations(self) -> dict[str, Callable[[Params], Any]]:
        return {
            "CreateConnection": self.create_connection,
            "DescribeConnection": self.describe_connection,
            "ListConnections": self.list_connections,
            "UpdateConnection": self.update_connection,
            "DeleteConnection": self.delete_connection,
            "DeauthorizeConnection": self.deauthorize_connection,
            "CreateApiDestination": self.create_api_destination,
            "DescribeApiDestination": self.describe_api_destination,
            "ListApiDestinations": self.list_api_destinations,
            "UpdateApiDestination": self.update_api_destination,
            "DeleteApiDestination": self.delete_api_destination,
        }

    # -- connections ---------------------------------------------------------------------------

    def create_connection(self, params: Params) -> Params:
        name = str(params["Name"])
        kind = str(params["AuthorizationType"])
        auth = dict(params["AuthParameters"])
        if _AUTH_KEYS[kind] not in auth:
            raise ValidationException(
                f"Parameter AuthParameters is not valid. Reason: {_AUTH_KEYS[kind]} is required "
                f"for AuthorizationType {kind}."
            )
        now = self.bridge.clock.wall()
        with self.store.lock:
            if self.store.thing(CONNECTION, name) is not None:
                raise ResourceAlreadyExistsException(f"Connection {name} already exists.")
            doc: Params = {
                "ConnectionArn": arns.connection_arn(
                    self.bridge.region, self.bridge.account_id, name
                ),
                "Name": name,
                "AuthorizationType": kind,
                "AuthParameters": auth,
                "ConnectionState": "AUTHORIZED",
                "SecretArn": self._secret_arn(name),
                "CreationTime": now,
                "LastModifiedTime": now,
                "LastAuthorizedTime": now,
            }
            if params.get("Description") is not None:
                doc["Description"] = params["Description"]
            self.store.put_thing(CONNECTION, name, doc)
        return _state(doc)

    def update_connection(self, params: Params) -> Params:
        name = str(params["Name"])
        with self.store.lock:
            doc = self._connection(name)
            if params.get("AuthorizationType") is not None:
                doc["AuthorizationType"] = params["AuthorizationType"]
            if params.get("AuthParameters") is not None:
                doc["AuthParameters"] = {**doc["AuthParameters"], **params["AuthParameters"]}
            if params.get("Description") is not None:
                doc["Description"] = params["Description"]
            doc["LastModifiedTime"] = self.bridge.clock.wall()
            doc["ConnectionState"] = "AUTHORIZED"
            self.store.put_thing(CONNECTION, name, doc)
        with self._tokens_lock:
            self._tokens.pop(name, None)
        return _state(doc)

    def describe_connection(self, params: Params) -> Params:
        doc = self._connection(str(params["Name"]))
        shown = {k: v for k, v in doc.items() if k != "AuthParameters"}
        auth = doc["AuthParameters"]
        shown["AuthParameters"] = {
            key: {k: v for k, v in auth[key].items() if k in _SHOWN[key]}
            for key in _SHOWN
            if key in auth
        }
        for key in ("InvocationHttpParameters",):
            if key in auth:
                shown["AuthParameters"][key] = auth[key]
        client = shown["AuthParameters"].get("OAuthParameters", {}).get("ClientParameters")
        if client:
            client.pop("ClientSecret", None)
        return shown

    def list_connections(self, params: Params) -> Params:
        prefix = str(params.get("NamePrefix") or "")
        state = params.get("ConnectionState")
        found = [
            {k: v for k, v in doc.items() if k not in ("AuthParameters", "SecretArn")}
            for doc in self.store.things(CONNECTION)
            if doc["Name"].startswith(prefix) and (not state or doc["ConnectionState"] == state)
        ]
        page, token = paginate(found, params.get("NextToken"), params.get("Limit"), 100)
        return {"Connections": page, **({"NextToken": token} if token else {})}

    def delete_connection(self, params: Params) -> Params:
        name = str(params["Name"])
        with self.store.lock:
            doc = self._connection(name)
            self.store.delete_thing(CONNECTION, name)
        return {**_state(doc), "ConnectionState": "DELETING"}

    def deauthorize_connection(self, params: Params) -> Params:
        name = str(params["Name"])
        with self.store.lock:
            doc = self._connection(name)
            doc["ConnectionState"] = "DEAUTHORIZED"
            self.store.put_thing(CONNECTION, name, doc)
        with self._tokens_lock:
            self._tokens.pop(name, None)
        return _state(doc)

    def _connection(self, name: str) -> Params:
        doc = self.store.thing(CONNECTION, name)
        if doc is None:
            raise ResourceNotFoundException(f"Connection '{name}' does not exist.")
        return doc

    def deploy(
        self, connections: tuple[ConnectionSpec, ...], destinations: tuple[ApiDestinationSpec, ...]
    ) -> None:
        """The template's connections and API destinations, created or updated in place (with
        the ARNs the template's ``GetAtt`` gave)."""
        now = self.bridge.clock.wall()
        for connection in connections:
            with self.store.lock:
                old = self.store.thing(CONNECTION, connection.name)
                doc = {
                    "ConnectionArn": connection.arn,
                    "Name": connection.name,
                    "AuthorizationType": connection.authorization_type,
                    "AuthParameters": fastjson.loads(connection.auth_parameters),
                    "ConnectionState": "AUTHORIZED",
                    "SecretArn": old["SecretArn"] if old else self._secret_arn(connection.name),
                    "CreationTime": old["CreationTime"] if old else now,
                    "LastModifiedTime": now,
                    "LastAuthorizedTime": now,
                }
                if connection.description is not None:
                    doc["Description"] = connection.description
                self.store.put_thing(CONNECTION, connection.name, doc)
            with self._tokens_lock:
                self._tokens.pop(connection.name, None)
        for destination in destinations:
            with self.store.lock:
                old = self.store.thing(API_DESTINATION, destination.name)
                doc = {
                    "ApiDestinationArn": destination.arn,
                    "Name": destination.name,
                    "ApiDestinationState": "ACTIVE",
                    "ConnectionArn": destination.connection_arn,
                    "InvocationEndpoint": destination.endpoint,
                    "HttpMethod": destination.method,
                    "InvocationRateLimitPerSecond": destination.rate_limit or 300,
                    "CreationTime": old["CreationTime"] if old else now,
                    "LastModifiedTime": now,
                }
                if destination.description is not None:
                    doc["Description"] = destination.description
                self.store.put_thing(API_DESTINATION, destination.name, doc)

    def _secret_arn(self, name: str) -> str:
        return arns.arn(
            "secretsmanager",
            self.bridge.region,
            self.bridge.account_id,
            f"secret:events!connection/{name}/{ids.request_id()}",
        )

    # -- API destinations ----------------------------------------------------------------------

    def create_api_destination(self, params: Params) -> Params:
        name = str(params["Name"])
        self._connection_of(str(params["ConnectionArn"]))
        now = self.bridge.clock.wall()
        with self.store.lock:
            if self.store.thing(API_DESTINATION, name) is not None:
                raise ResourceAlreadyExistsException(f"An api-destination '{name}' already exists.")
            doc: Params = {
                "ApiDestinationArn": arns.api_destination_arn(
                    self.bridge.region, self.bridge.account_id, name
                ),
                "Name": name,
                "ApiDestinationState": "ACTIVE",
                "ConnectionArn": params["ConnectionArn"],
                "InvocationEndpoint": params["InvocationEndpoint"],
                "HttpMethod": params["HttpMethod"],
                "InvocationRateLimitPerSecond": int(
                    params.get("InvocationRateLimitPerSecond") or 300
                ),
                "CreationTime": now,
                "LastModifiedTime": now,
            }
            if params.get("Description") is not None:
                doc["Description"] = params["Description"]
            self.store.put_thing(API_DESTINATION, name, doc)
        return _destination_state(doc)

    def update_api_destination(self, params: Params) -> Params:
        name = str(params["Name"])
        with self.store.lock:
            doc = self._api_destination(name)
            if params.get("ConnectionArn") is not None:
                self._connection_of(str(params["ConnectionArn"]))
            for key in (
                "Description",
                "ConnectionArn",
                "InvocationEndpoint",
                "HttpMethod",
                "InvocationRateLimitPerSecond",
            ):
                if params.get(key) is not None:
                    doc[key] = params[key]
            doc["LastModifiedTime"] = self.bridge.clock.wall()
            self.store.put_thing(API_DESTINATION, name, doc)
        return _destination_state(doc)

    def describe_api_destination(self, params: Params) -> Params:
        return self._api_destination(str(params["Name"]))

    def list_api_destinations(self, params: Params) -> Params:
        prefix = str(params.get("NamePrefix") or "")
        connection = params.get("ConnectionArn")
        found = [
            doc
            for doc in self.store.things(API_DESTINATION)
            if doc["Name"].startswith(prefix)
            and (not connection or doc["ConnectionArn"] == connection)
        ]
        page, token = paginate(found, params.get("NextToken"), params.get("Limit"), 100)
        return {"ApiDestinations": page, **({"NextToken": token} if token else {})}

    def delete_api_destination(self, params: Params) -> Params:
        name = str(params["Name"])
        with self.store.lock:
            self._api_destination(name)
            self.store.delete_thing(API_DESTINATION, name)
        return {}

    def _api_destination(self, name: str) -> Params:
        doc = self.store.thing(API_DESTINATION, name)
        if doc is None:
            raise ResourceNotFoundException(
                "Failed to describe the api-destination(s). "
                f"An api-destination '{name}' does not exist."
            )
        return doc

    def _connection_of(self, arn: str) -> Params:
        parts = arn.split(":connection/", 1)
        name = parts[1].split("/", 1)[0] if len(parts) == 2 else arn
        doc = self.store.thing(CONNECTION, name)
        if doc is None or doc["ConnectionArn"] != arn:
            raise ResourceNotFoundException(f"Connection '{name}' does not exist.")
        return doc

    # -- calling one ---------------------------------------------------------------------------

    def call(self, arn: str, body: str, http: Params | None) -> None:
        """Send ``body`` to the API destination ``arn`` (on a worker thread); raises
        ``DeliveryError`` unless it answers 2xx."""
        name = arn.split(":api-destination/", 1)[1].split("/", 1)[0]
        destination = self.store.thing(API_DESTINATION, name)
        if destination is None or destination["ApiDestinationArn"] != arn:
            raise DeliveryError(f"API destination {arn} does not exist")
        connection = self.store.thing(
            CONNECTION, destination["ConnectionArn"].split(":connection/", 1)[1].split("/", 1)[0]
        )
        if connection is None:
            raise DeliveryError(f"the connection of API destination {name} does not exist")
        if connection["ConnectionState"] != "AUTHORIZED":
            raise DeliveryError(
                f"connection {connection['Name']} is {connection['ConnectionState']}"
            )
        http = http or {}
        url = str(destination["InvocationEndpoint"])
        for value in http.get("PathParameterValues") or []:
            url = url.replace("*", urllib.parse.quote(str(value), safe=""), 1)
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "Amazon/EventBridge/ApiDestinations",
        }
        # The connection's parameters first, the target's over them.
        invocation = connection["AuthParameters"].get("InvocationHttpParameters") or {}
        headers.update(_pairs(invocation.get("HeaderParameters")))
        headers.update({str(k): str(v) for k, v in (http.get("HeaderParameters") or {}).items()})
        query = list(_pairs(invocation.get("QueryStringParameters")).items())
        query += [(str(k), str(v)) for k, v in (http.get("QueryStringParameters") or {}).items()]
        if query:
            url += ("&" if "?" in url else "?") + urllib.parse.urlencode(query)
        headers.update(self._authorization(connection))
        method = str(destination["HttpMethod"])
        data = body.encode() if method not in ("GET", "HEAD") else None
        status = self._send(url, method, data, headers)
        if status == 401 and connection["AuthorizationType"] == "OAUTH_CLIENT_CREDENTIALS":
            with self._tokens_lock:
                self._tokens.pop(connection["Name"], None)
            headers.update(self._authorization(connection))
            status = self._send(url, method, data, headers)
        if not 200 <= status < 300:
            raise DeliveryError(f"API destination {name} answered HTTP {status}")

    def _send(self, url: str, method: str, data: bytes | None, headers: dict[str, str]) -> int:
        request = urllib.request.Request(url, data=data, headers=headers, method=method)
        try:
            with self._opener.open(request, timeout=HTTP_TIMEOUT_S) as answer:
                answer.read()
                return int(answer.status)
        except urllib.error.HTTPError as exc:
            exc.close()
            return int(exc.code)
        except (OSError, ValueError) as exc:
            raise DeliveryError(f"API destination {url}: {exc or type(exc).__name__}") from None

    def _authorization(self, connection: Params) -> dict[str, str]:
        auth = connection["AuthParameters"]
        kind = connection["AuthorizationType"]
        if kind == "API_KEY":
            key = auth["ApiKeyAuthParameters"]
            return {str(key["ApiKeyName"]): str(key["ApiKeyValue"])}
        if kind == "BASIC":
            basic = auth["BasicAuthParameters"]
            pair = f"{basic['Username']}:{basic['Password']}".encode()
            return {"Authorization": "Basic " + base64.b64encode(pair).decode()}
        return {"Authorization": "Bearer " + self._token(connection)}

    def _token(self, connection: Params) -> str:
        name = connection["Name"]
        with self._tokens_lock:
            token = self._tokens.get(name)
        if token is not None:
            return token
        oauth = connection["AuthParameters"]["OAuthParameters"]
        client = oauth["ClientParameters"]
        pair = f"{client['ClientID']}:{client['ClientSecret']}".encode()
        extra = oauth.get("OAuthHttpParameters") or {}
        form = [("grant_type", "client_credentials")]
        form += [(str(p["Key"]), str(p["Value"])) for p in extra.get("BodyParameters") or []]
        headers = {
            "Authorization": "Basic " + base64.b64encode(pair).decode(),
            "Content-Type": "application/x-www-form-urlencoded",
        }
        headers.update(
            {str(p["Key"]): str(p["Value"]) for p in extra.get("HeaderParameters") or []}
        )
        url = str(oauth["AuthorizationEndpoint"])
        query = [(str(p["Key"]), str(p["Value"])) for p in extra.get("QueryStringParameters") or []]
        if query:
            url += ("&" if "?" in url else "?") + urllib.parse.urlencode(query)
        method = str(oauth.get("HttpMethod") or "POST")
        request = urllib.request.Request(
            url, data=urllib.parse.urlencode(form).encode(), headers=headers, method=method
        )
        try:
            with self._opener.open(request, timeout=HTTP_TIMEOUT_S) as answer:
                found = fastjson.loads(answer.read())
        except (OSError, ValueError) as exc:
            raise DeliveryError(
                f"connection {name}: the authorization endpoint failed: {exc}"
            ) from None
        if not isinstance(found, dict) or not isinstance(found.get("access_token"), str):
            raise DeliveryError(
                f"connection {name}: the authorization endpoint gave no access_token"
            )
        with self._tokens_lock:
            self._tokens[name] = found["access_token"]
        return str(found["access_token"])


def _pairs(entries: Any) -> dict[str, str]:
    """``[{"Key": k, "Value": v}, ...]`` (a connection's parameters) as a mapping."""
    return {str(p["Key"]): str(p["Value"]) for p in entries or []}


def _destination_state(doc: Params) -> Params:
    """What creating or updating an API destination answers."""
    keys = ("ApiDestinationArn", "ApiDestinationState", "CreationTime", "LastModifiedTime")
    return {key: doc[key] for key in keys}


def _state(doc: Params) -> Params:
    return {
        key: doc[key]
        for key in ("ConnectionArn", "ConnectionState", "CreationTime", "LastModifiedTime")
    }
