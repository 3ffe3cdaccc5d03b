"""Stack outputs that give AWS's address of an API Lamina serves read as its address here.

A SAM application's outputs name its API as CloudFormation resolves it,
``https://{api-id}.execute-api.{region}.amazonaws.com/Prod/hello``, and its README's scripts
read them (``aws cloudformation describe-stacks --query "Stacks[0].Outputs"``) to call it. On
Lamina that address is AWS's, where nothing was deployed, so the outputs Lamina reports (the
banner and ``DescribeStacks``) put the address the API answers on here in its place:
``http://127.0.0.1:3000`` (``lamina up``'s API port, where every API's routes are served) with
the rest of the URL kept, stage and path included. A Function URL's
``https://{url-id}.lambda-url.{region}.on.aws/`` becomes the path Lamina serves it under on
the same port. Only ids of APIs this stack deployed are replaced; any other address (another
stack's API, a real AWS endpoint) is left as it is. LocalStack rewrites its outputs alike.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from lamina.gateway.routing import URL_PREFIX
from lamina.model.apis import Api, ApiKind
from lamina.model.specs import StackOutput

_API = re.compile(r"https://([A-Za-z0-9]+)\.execute-api\.[a-z0-9-]+\.amazonaws\.com(?![\w.-])")
_FUNCTION_URL = re.compile(r"https://([A-Za-z0-9]+)\.lambda-url\.[a-z0-9-]+\.on\.aws/?")


def localiser(apis: Iterable[Api], api_url: str) -> Callable[[str], str]:
    """A function that rewrites AWS's addresses of ``apis`` in a text to ``api_url``'s."""
    served = {api.id: api for api in apis}

    def api(found: re.Match[str]) -> str:
        known = served.get(found.group(1))
        if known is None or known.kind is ApiKind.FUNCTION_URL:
            return found.group(0)
        return api_url

    def function_url(found: re.Match[str]) -> str:
        known = served.get(found.group(1))
        if known is None or known.kind is not ApiKind.FUNCTION_URL:
            return found.group(0)
        return f"{api_url}{URL_PREFIX}{known.function or known.logical_id}/"

    def localise(text: str) -> str:
        if "https://" not in text:
            return text
        return _FUNCTION_URL.sub(function_url, _API.sub(api, text))

    return localise


def local_outputs(
    outputs: Iterable[StackOutput], localise: Callable[[str], str]
) -> tuple[StackOutput, ...]:
    return tuple(
        StackOutput(o.key, localise(o.value), o.description, o.export_name) for o in outputs
    )
