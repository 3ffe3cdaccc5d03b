"""The Lambda API's functions: the template's and those created through the API, durably.

The registry is the one owner of function state: what functions exist, their versions,
aliases, URLs, concurrency and async configuration. After every change it stores the changed
document (committed before the API answers), then deploys the whole snapshot to the engine
once (``FunctionControl.deploy``); the engine merges nothing and the registry never reads
state back from it.

Template functions are brought in by ``deploy(stack)`` (at start and on every reload):

* the template defines a template function's ``$LATEST`` (code and configuration), and the API
  may add versions, aliases and settings; ``AutoPublishAlias`` publishes a version whenever the
  code or configuration changed and points the alias at it, as SAM does;
* ``UpdateFunctionCode`` and ``UpdateFunctionConfiguration`` change a template function's
  ``$LATEST`` as they do on AWS. The change is durable and survives restarts **until the
  template next changes that function**: a deploy whose definition of the function (its
  properties after the template is read) or whose code differs from the last one deployed puts
  the template's ``$LATEST`` back, as a CloudFormation update that touches the function does.
  A deploy that leaves the function as it was (a restart, another function edited) keeps the
  API's change.

Mutations are serialised by the service (one at a time); reads may run alongside.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable, Collection, Mapping
from pathlib import Path
from typing import Any

from lamina.clock import Clock
from lamina.engine.api import LambdaEngine
from lamina.model import arns
from lamina.model.lambdas import LATEST, LambdaFunction
from lamina.model.mappings import EventSourceMapping
from lamina.model.specs import FunctionSpec, LayerSpec, Stack
from lamina.services.lambda_ import config
from lamina.services.lambda_.code import LOCAL_BUCKET, Code, CodeStore
from lamina.services.lambda_.errors import (
    InvalidParameterValueException,
    PreconditionFailedException,
    ResourceConflictException,
    ResourceNotFoundException,
)
from lamina.services.lambda_.models import (
    API,
    TEMPLATE,
    Alias,
    FunctionDoc,
    Meta,
    Version,
    revision,
    template_form,
    timestamp,
)
from lamina.services.lambda_.store import FunctionStore
from lamina.settings import Settings

log = logging.getLogger("lamina.services")
split_function = arns.split_function


class Registry:
    def __init__(
        self,
        store: FunctionStore,
        code: CodeStore,
        engine: LambdaEngine,
        settings: Settings,
        clock: Clock,
    ) -> None:
        self.store = store
        self.clock = clock
        self.code = code
        self.engine = engine
        self.settings = settings
        # Told after every change that may change what is served (the app redeploys the
        # gateway's Function URLs from it); services never import the gateway.
        self.on_change: Callable[[], None] = lambda: None
        self.functions: dict[str, FunctionDoc] = store.load()
        self.layers: Mapping[str, LayerSpec] = {}
        # Event source mappings: the template's, and what the API made or changed (mappings.py).
        self.template_mappings: tuple[EventSourceMapping, ...] = ()
        self.api_mappings: dict[str, dict[str, Any]] = store.load_mappings()

    def now(self) -> str:
        """Lambda's LastModified for this moment (``models.timestamp``)."""
        return timestamp(self.clock.wall())

    def arn(self, name: str, qualifier: str | None = None) -> str:
        return arns.function_arn(self.settings.region, self.settings.account_id, name, qualifier)

    # -- lookup ----------------------------------------------------------------------------

    def get(self, function: str, qualifier: str | None = None) -> tuple[FunctionDoc, str | None]:
        """The function and the qualifier asked for (from the name or the parameter)."""
        name, embedded = split_function(function)
        if embedded and qualifier and embedded != qualifier:
            raise InvalidParameterValueException(
                "The derived qualifier from the function name does not match the specified "
                "qualifier."
            )
        qualifier = qualifier or embedded
        doc = self.functions.get(name) or self._by_logical_id(name)
        if doc is None:
            raise ResourceNotFoundException(f"Function not found: {self.arn(name, qualifier)}")
        return doc, qualifier

    def _by_logical_id(self, logical_id: str) -> FunctionDoc | None:
        """Template functions answer to their logical id too, as ``lamina invoke`` does."""
        for doc in self.functions.values():
            if doc.origin == TEMPLATE and doc.logical_id == logical_id:
                return doc
        return None

    def version(self, doc: FunctionDoc, qualifier: str | None) -> Version:
        """The version a qualifier names (an alias names its primary version)."""
        alias = doc.aliases.get(qualifier or "")
        found = doc.version(alias.function_version if alias else qualifier)
        if found is None:
            if qualifier and not qualifier.isdigit() and qualifier != LATEST:
                raise ResourceNotFoundException(f"Cannot find alias arn: {doc.arn}:{qualifier}")
            raise ResourceNotFoundException(f"Function not found: {doc.arn}:{qualifier}")
        return found

    # -- persistence -----------------------------------------------------------------------

    def snapshot(self) -> dict[str, LambdaFunction]:
        """Every function as the engine runs it, by name."""
        return {name: doc.runtime() for name, doc in self.functions.items()}

    async def commit(self, doc: FunctionDoc) -> None:
        """Store, then deploy to the engine: acknowledged changes are durable."""
        self.functions[doc.name] = doc
        self.store.save(doc)
        await self._publish_snapshot()

    async def remove(self, name: str) -> None:
        """Delete a function (and, in the engine, its queued async events), then the code on
        disk that no function left uses (its versions' snapshots, its extracted zips)."""
        doc = self.functions.pop(name)
        self.store.delete(name)
        await self._publish_snapshot()
        owned = {v.spec.code_dir for v in (doc.latest, *doc.versions.values()) if v.spec.code_dir}
        used = {
            v.spec.code_dir
            for other in self.functions.values()
            for v in (other.latest, *other.versions.values())
            if v.spec.code_dir
        }
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, self.code.forget, owned - used, name)

    async def deploy(self, stack: Stack, recycle: Collection[str] = ()) -> None:
        """Bring the template's functions in (see the module docstring), then deploy every
        function to the engine at once; ``recycle`` names functions whose files changed."""
        self.layers = {layer.arn: layer for layer in stack.layers.values()}
        self.template_mappings = stack.mappings
        names = set()
        for logical_id, spec in stack.functions.items():
            names.add(spec.name)
            self._from_template(logical_id, spec)
        for name, doc in list(self.functions.items()):
            if doc.origin == TEMPLATE and name not in names:
                del self.functions[name]
                self.store.delete(name)
        await self._publish_snapshot(recycle)

    async def _publish_snapshot(self, recycle: Collection[str] = ()) -> None:
        await self.engine.deploy(self.snapshot(), recycle)
        self.on_change()

    def _from_template(self, logical_id: str, spec: FunctionSpec) -> None:
        code = self._directory_code(spec)
        form = template_form(spec, code.sha256)
        doc = self.functions.get(spec.name)
        if doc is not None and doc.origin != TEMPLATE:
            log.warning("template function %s replaces the API function of that name", spec.name)
            doc = None
        if doc is None:
            doc = FunctionDoc(
                TEMPLATE, Version(spec, Meta(code.sha256, code.size, self.now())), logical_id
            )
        elif doc.overridden and doc.template_form == form:
            # The template did not change this function: the API's $LATEST stays.
            doc.logical_id = logical_id
        else:
            old = doc.latest
            changed = old.meta.code_sha256 != code.sha256 or not config.same_configuration(
                old.spec, spec
            )
            meta = Meta(code.sha256, code.size, self.now()) if changed else old.meta
            doc.latest, doc.logical_id = Version(spec, meta), logical_id
            doc.overridden = False
        kept = doc.overridden
        doc.template_form = form
        if spec.reserved_concurrency is not None:
            doc.reserved = spec.reserved_concurrency
        now = self.clock.wall()
        for event_config in spec.event_invoke:
            doc.event_invoke[event_config.qualifier] = (event_config, now)
        if spec.auto_publish_alias and not kept:
            version = self.publish(doc, code)
            alias = doc.aliases.get(spec.auto_publish_alias)
            if alias is None or alias.function_version != version.spec.version:
                doc.aliases[spec.auto_publish_alias] = Alias(
                    spec.auto_publish_alias, version.spec.version
                )
        if spec.provisioned_concurrency:
            qualifier = spec.auto_publish_alias or LATEST
            doc.provisioned[qualifier] = {
                "Requested": spec.provisioned_concurrency,
                "LastModified": self.now(),
            }
        self.functions[spec.name] = doc
        self.store.save(doc)

    def _directory_code(self, spec: FunctionSpec) -> Code:
        if spec.code_dir is None or not spec.code_dir.is_dir():
            return Code(spec.code_dir or Path("."), "", 0, immutable=False)
        return self.code.from_directory(spec.code_dir)

    # -- code and versions -----------------------------------------------------------------

    def upload(self, code: Mapping[str, Any]) -> Code:
        """``Code`` of CreateFunction (or UpdateFunctionCode's members): a zip (bytes: the
        protocol layer decoded the model's blob), or for Lamina's own use
        ``S3Bucket: lamina-local`` with a local directory as ``S3Key``."""
        zipped = code.get("ZipFile")
        if zipped is not None:
            return self.code.from_zip(bytes(zipped))
        if code.get("S3Bucket") == LOCAL_BUCKET and code.get("S3Key"):
            return self.code.from_directory(Path(str(code["S3Key"])))
        if code.get("ImageUri"):
            raise InvalidParameterValueException(
                "Lamina runs functions from deployment packages (PackageType Zip) only."
            )
        raise InvalidParameterValueException(
            "Lamina cannot fetch code from S3: upload a ZipFile, or give S3Bucket "
            f"'{LOCAL_BUCKET}' and a local directory as S3Key."
        )

    def publish(self, doc: FunctionDoc, code: Code | None = None, description: str = "") -> Version:
        """Publish $LATEST; an unchanged $LATEST returns the last version, as Lambda does."""
        latest = doc.latest
        last = doc.versions.get(str(doc.next_version - 1))
        if (
            last is not None
            and last.meta.code_sha256 == latest.meta.code_sha256
            and config.same_configuration(last.spec, latest.spec)
        ):
            return last
        number = str(doc.next_version)
        if code is None:
            directory = latest.spec.code_dir or Path(".")
            code = Code(directory, latest.meta.code_sha256, latest.meta.code_size, False)
            code = dataclasses.replace(code, immutable=latest.meta.immutable_code)
        snapshot = self.code.snapshot(code, doc.name, number)
        spec = dataclasses.replace(
            latest.spec,
            version=number,
            code_dir=snapshot,
            description=description or latest.spec.description,
        )
        meta = dataclasses.replace(latest.meta, last_modified=self.now(), revision_id=revision())
        doc.versions[number] = Version(spec, meta)
        doc.next_version += 1
        return doc.versions[number]

    @staticmethod
    def check_revision(current: str, given: str | None) -> None:
        if given and given != current:
            raise PreconditionFailedException(
                "The Revision Id provided does not match the latest Revision Id. Call the "
                "GetFunction/GetAlias API to retrieve the latest Revision Id"
            )

    @staticmethod
    def override(doc: FunctionDoc) -> None:
        """A template function's $LATEST was changed through the API (until the template
        changes it: see the module docstring)."""
        if doc.origin == TEMPLATE:
            doc.overridden = True

    @staticmethod
    def api_owned(doc: FunctionDoc, action: str) -> None:
        if doc.origin == TEMPLATE:
            raise ResourceConflictException(
                f"{doc.name} is defined by the template (resource {doc.logical_id}); Lamina "
                f"cannot {action} it through the API. Change the template instead."
            )

    def new(self, spec: FunctionSpec, meta: Meta) -> FunctionDoc:
        return FunctionDoc(API, Version(spec, meta))
