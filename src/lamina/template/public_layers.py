"""Public layers given by ARN that Lamina provides itself: AWS's Powertools for AWS Lambda (Python).

A function may list a layer that is not in its template, by ARN. Lamina cannot fetch a layer's
content from AWS, but the Powertools layers are published builds of a PyPI package, so
``provide(arn)`` turns such an ARN into a ``LayerSpec`` whose ``requirement`` the build step
installs from PyPI (``build.py``). The layers are recognised by their publishing accounts and
names, as the Powertools documentation lists them:

* ``arn:aws:lambda:{region}:017000801446:layer:AWSLambdaPowertoolsPython:{n}`` (v1),
* ``...:layer:AWSLambdaPowertoolsPythonV2:{n}`` and ``AWSLambdaPowertoolsPythonV2-Arm64:{n}``,
* ``...:layer:AWSLambdaPowertoolsPythonV3-{python3XX}-{x86_64|arm64}:{n}``,

and the same names under ``arn:aws-cn:lambda:cn-north-1:498634801083``. A layer version whose
release Lamina knows installs exactly that release; any other gets the latest release of its
major version, and ``provide`` says so in a note. Every other ARN is unknown (None).

The content is what Powertools' own layer build puts in the layer (``layer_v3/docker/Dockerfile``
of the project's repository): the package with all its extras (``[all]``: pydantic, the X-Ray
SDK, fastjsonschema, the encryption SDK ...) minus boto3 and its dependencies, which the runtime
provides (Lamina's environments preload the host's boto3).

The layer-version table is not published by Powertools as a table; it was read from the layer
ARN each release's documentation (``docs/index.md`` of the project's repository) names and the
maintainers' "update layer version number" changes, which name the release each layer carries.
"""

from __future__ import annotations

import re
from pathlib import Path

from lamina.model.specs import LayerSpec

PACKAGE = "aws-lambda-powertools"
# Removed after the install, as the published layers remove them.
RUNTIME_PROVIDED = ("boto*", "s3transfer*", "*dateutil*", "urllib3*", "six*", "jmespath*")
_ACCOUNTS = {"aws": "017000801446", "aws-cn": "498634801083"}
_ARN = re.compile(
    r"arn:(?P<partition>aws|aws-cn):lambda:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):layer:"
    r"(?P<name>AWSLambdaPowertoolsPython(?:V2(?:-Arm64)?|V3-python3\d+-(?:x86_64|arm64))?)"
    r":(?P<version>\d+)"
)
# Layer version -> the aws-lambda-powertools release it carries, by major version.
RELEASES: dict[int, dict[int, str]] = {
    2: {
        66: "2.35.0",
        67: "2.35.1",
        68: "2.36.0",
        69: "2.37.0",
        70: "2.38.0",
        71: "2.38.1",
        72: "2.39.0",
        73: "2.39.1",
        74: "2.40.0",
        75: "2.40.1",
        76: "2.41.0",
        77: "2.42.0",
        78: "2.43.0",
    },
    3: {1: "3.0.0", 2: "3.1.0", 3: "3.2.0", 4: "3.3.0", 5: "3.4.0", 6: "3.4.1"},
}
# The build step replaces it with the directory the requirement is installed in.
UNBUILT = Path("/nonexistent/lamina-unbuilt-layer")


def _major(name: str) -> int:
    if name.startswith("AWSLambdaPowertoolsPythonV3"):
        return 3
    if name.startswith("AWSLambdaPowertoolsPythonV2"):
        return 2
    return 1


def provide(arn: str) -> tuple[LayerSpec, str | None] | None:
    """The layer Lamina installs for ``arn`` and a note when its release is a guess; None when
    ``arn`` is not a layer Lamina can provide."""
    match = _ARN.fullmatch(arn)
    if match is None or _ACCOUNTS[match["partition"]] != match["account"]:
        return None
    major, version = _major(match["name"]), int(match["version"])
    release = RELEASES.get(major, {}).get(version)
    note = None
    if release is None:
        requirement = f"{PACKAGE}[all]>={major},<{major + 1}"
        note = (
            f"layer {arn}: Lamina does not know which {PACKAGE} release layer version {version} "
            f"carries; it provides the latest {major}.x release from PyPI instead"
        )
    else:
        requirement = f"{PACKAGE}[all]=={release}"
    layer = LayerSpec(
        logical_id=match["name"],
        name=match["name"],
        arn=arn,
        content_dir=UNBUILT,
        requirement=requirement,
        requirement_excludes=RUNTIME_PROVIDED,
    )
    return layer, note
