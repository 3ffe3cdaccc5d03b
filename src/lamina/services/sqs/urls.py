"""Queue URLs: the one Lamina answers, and every form it accepts.

Lamina answers ``{endpoint}/{account}/{name}`` where ``endpoint`` is the services endpoint the
functions are given (``AWS_ENDPOINT_URL``), so the URL reaches Lamina from the host and from
inside functions alike, and an SDK that sends requests to the queue URL itself (the query
protocol) reaches it too. Any URL whose path is ``/{account}/{name}`` names the queue, whatever
its scheme and host: AWS's own ``https://sqs.us-east-1.amazonaws.com/123456789012/name``,
``localhost`` or ``127.0.0.1`` forms, so a URL written in a template or a config file works.
"""

from __future__ import annotations

import re
import urllib.parse

_PATH = re.compile(r"^/(?P<account>[^/]+)/(?P<name>[^/]+)/?$")


def queue_url(endpoint: str, account_id: str, name: str) -> str:
    return f"{endpoint.rstrip('/')}/{account_id}/{name}"


def parse(url: str) -> tuple[str, str] | None:
    """(account, queue name) of a queue URL; None when ``url`` is not one."""
    parts = urllib.parse.urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return None
    found = _PATH.match(parts.path)
    return None if found is None else (found.group("account"), found.group("name"))


def path_queue(path: str) -> tuple[str, str] | None:
    """(account, name) of a request sent to a queue's URL (``POST /123456789012/name``)."""
    found = _PATH.match(urllib.parse.unquote(path.split("?", 1)[0]))
    return None if found is None else (found.group("account"), found.group("name"))
