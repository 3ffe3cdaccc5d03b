"""What ``lamina up`` imports before it serves: libraries only some templates use wait for them.

A fresh interpreter imports the command line and the composition root (``lamina.cli.main`` and
``lamina.app.serve``, what ``lamina up`` imports before reading a template) and, in the same
process, builds the STS service as ``lamina up`` builds every service: joserfc and cryptography
(JWT and Cognito authorizers), prometheus_client (the first scrape), jsonschema (REST request
validators) and botocore (the first request to a service, or a universal schedule target) are
not imported, and no service model
is loaded.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

_PROBE = textwrap.dedent(
    """
    import sys
    import lamina.cli.main, lamina.app.serve
    from lamina.services.protocols import shapes
    from lamina.services.sts.service import sts_service
    sts_service("123456789012")
    later = ("joserfc", "cryptography", "prometheus_client", "botocore", "jsonschema")
    print("imported", ",".join(sorted(n for n in later if n in sys.modules)))
    print("models", shapes.model.cache_info().currsize)
    """
)


def test_lamina_up_imports_no_library_it_may_never_use_and_loads_no_model() -> None:
    """None of joserfc, cryptography, prometheus_client, jsonschema and botocore is imported,
    and building a service loads no model."""
    done = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["imported ", "models 0"]
