"""Where a template's dynamic references find their values: Lamina's own Parameter Store and
Secrets Manager (the state directory's databases, read on connections of their own), then the
file ``LAMINA_DYNAMIC_VALUES`` names, for values Lamina does not hold::

    {"ssm": {"/app/db/host": "localhost"},
     "secretsmanager": {"prod/db": "{\\"password\\": \\"x\\"}"}}
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lamina import fastjson
from lamina.app.services import DATABASES
from lamina.clock import SYSTEM
from lamina.errors import AwsError, LaminaError
from lamina.settings import Settings


class StoredValues:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._file: dict[str, Any] | None = None

    def _values_file(self) -> dict[str, Any]:
        if self._file is None:
            path = self._settings.dynamic_values
            self._file = {}
            if path:
                try:
                    doc = fastjson.loads(Path(path).read_text())
                except (OSError, ValueError) as exc:
                    raise LaminaError(f"LAMINA_DYNAMIC_VALUES={path}: {exc}") from None
                self._file = doc if isinstance(doc, dict) else {}
        return self._file

    def parameter(self, name: str, version: int | None) -> str | None:
        settings = self._settings
        path = settings.state_dir / DATABASES["ssm"]
        if path.exists() and "ssm" not in settings.endpoints:
            # Imported here: most templates have no dynamic reference, and the service's
            # modules are otherwise imported only when it is first called.
            from lamina.services.ssm.service import ParameterStoreApi
            from lamina.services.ssm.store import ParameterStore

            store = ParameterStore(path)
            api = ParameterStoreApi(store, settings.region, settings.account_id, SYSTEM)
            try:
                selector = f"{name}:{version}" if version is not None else name
                found = api.get_parameter({"Name": selector, "WithDecryption": True})
                return str(found["Parameter"]["Value"])
            except AwsError:
                pass
            finally:
                store.close()
        value = self._values_file().get("ssm", {}).get(name)
        return None if value is None else str(value)

    def secret(self, secret_id: str, stage: str | None, version_id: str | None) -> str | None:
        settings = self._settings
        path = settings.state_dir / DATABASES["secretsmanager"]
        if path.exists() and "secretsmanager" not in settings.endpoints:
            from lamina.services.secretsmanager.service import SecretsApi
            from lamina.services.secretsmanager.store import SecretStore

            store = SecretStore(path)
            api = SecretsApi(store, settings.region, settings.account_id, SYSTEM)
            try:
                params: dict[str, Any] = {"SecretId": secret_id}
                if stage:
                    params["VersionStage"] = stage
                if version_id:
                    params["VersionId"] = version_id
                found = api.get_secret_value(params)
                if "SecretString" in found:
                    return str(found["SecretString"])
            except AwsError:
                pass
            finally:
                store.close()
        value = self._values_file().get("secretsmanager", {}).get(secret_id)
        return None if value is None else str(value)
