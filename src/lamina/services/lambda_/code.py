"""Function code on disk: uploaded zips, local directories, and the snapshots versions run.

Everything lives under ``<state>/lambda/``. An uploaded zip is extracted once into a directory
named after its hash, so identical uploads share it and nothing ever writes into it again:
that directory is itself an immutable snapshot. A directory that may change (a template
function's ``CodeUri``, a local directory given to CreateFunction) is copied when a version is
published, so the version keeps running the code it was published with.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from lamina.services.lambda_.errors import InvalidParameterValueException
from lamina.storage.files import move_into_place

# Lambda's quota on a function's unzipped code (with its layers), and how many files a zip may hold.
MAX_UNZIPPED_BYTES = 262_144_000
MAX_ZIP_ENTRIES = 100_000
_CHUNK = 1 << 20
# Code.S3Bucket that means "this local directory" (S3Key) for Lamina's own use.
LOCAL_BUCKET = "lamina-local"
# Never part of a function's code: a CodeUri of "." holds the state directory itself, and a
# snapshot copied into it would copy itself.
SKIPPED = frozenset({".lamina", ".git", "__pycache__", ".aws-sam"})


@dataclass(frozen=True, slots=True)
class Code:
    directory: Path
    sha256: str  # base64 of the SHA-256, as Lambda's CodeSha256
    size: int
    # True when ``directory`` never changes (extracted from a zip): versions may share it.
    immutable: bool


def _b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode()


class CodeStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def from_zip(self, data: bytes) -> Code:
        digest = hashlib.sha256(data).digest()
        target = self.root / "code" / binascii.hexlify(digest).decode()
        if not target.is_dir():
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=".tmp-"))
            # (mkdtemp's 700 would close it to functions, which run as another user.)
            tmp.chmod(0o755)
            try:
                with zipfile.ZipFile(io.BytesIO(data)) as archive:
                    _extract(archive, tmp)
            except InvalidParameterValueException:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
            except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
                shutil.rmtree(tmp, ignore_errors=True)
                raise InvalidParameterValueException(
                    "Could not unzip uploaded file. Please check your file, then try to upload "
                    "again."
                ) from exc
            move_into_place(tmp, target)
        return Code(target, _b64(digest), len(data), immutable=True)

    def from_directory(self, directory: Path) -> Code:
        if not directory.is_dir():
            raise InvalidParameterValueException(
                f"Code directory {directory} does not exist on this machine."
            )
        digest, size = directory_digest(directory)
        return Code(directory, _b64(digest), size, immutable=False)

    def snapshot(self, code: Code, function: str, version: str) -> Path:
        """The directory version ``version`` runs: ``code`` itself when immutable, else a copy."""
        if code.immutable:
            return code.directory
        target = self.root / "versions" / function / version
        if not target.is_dir():
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=".tmp-"))
            shutil.copytree(
                code.directory, tmp, dirs_exist_ok=True, symlinks=True, ignore=self._ignore
            )
            move_into_place(tmp, target)
        return target

    def forget(self, directories: set[Path], function: str) -> None:
        """Delete code directories Lamina made (extracted zips, version snapshots) that no
        function uses any more; a user's own directories (a template's CodeUri) are never
        touched."""
        root = self.root.resolve()
        for directory in directories:
            resolved = directory.resolve()
            if resolved.is_relative_to(root) and resolved != root:
                shutil.rmtree(resolved, ignore_errors=True)
        shutil.rmtree(self.root / "versions" / function, ignore_errors=True)

    def _ignore(self, directory: str, names: list[str]) -> set[str]:
        state = self.root.parent.resolve()
        return {n for n in names if n in SKIPPED or (Path(directory) / n).resolve() == state}


def _extract(archive: zipfile.ZipFile, into: Path) -> None:
    """Extract ``archive`` counting the bytes actually written, not the sizes the zip declares,
    and stop past Lambda's unzipped quota: a zip bomb costs at most that much disk, briefly."""
    members = archive.infolist()
    if len(members) > MAX_ZIP_ENTRIES:
        raise InvalidParameterValueException(
            f"Uploaded file must have at most {MAX_ZIP_ENTRIES} entries."
        )
    written = 0
    for member in members:
        target = _member_path(member, into)
        if target is None:
            continue
        if member.is_dir():
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        with archive.open(member) as source, open(target, "wb") as out:
            while chunk := source.read(_CHUNK):
                written += len(chunk)
                if written > MAX_UNZIPPED_BYTES:
                    raise InvalidParameterValueException(
                        f"Unzipped size must be smaller than {MAX_UNZIPPED_BYTES} bytes"
                    )
                out.write(chunk)
        # Readable by all, whatever the zip says (zipfile's writestr says 600): as root, Lamina
        # runs each function as a user of its own, who must read its code.
        os.chmod(target, ((member.external_attr >> 16) & 0o777) | 0o644)


def _member_path(member: zipfile.ZipInfo, into: Path) -> Path | None:
    """Where a member goes under ``into``; None for a name that would leave it."""
    parts = [p for p in member.filename.replace("\\", "/").split("/") if p not in ("", ".")]
    if not parts or ".." in parts:
        return None
    return into.joinpath(*parts)


def directory_digest(directory: Path) -> tuple[bytes, int]:
    """SHA-256 over the relative paths and contents of every file, and their total size."""
    digest = hashlib.sha256()
    size = 0
    for root, dirs, files in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED)
        for name in sorted(files):
            path = Path(root) / name
            try:
                data = path.read_bytes()
            except OSError:
                continue
            digest.update(str(path.relative_to(directory)).encode() + b"\0")
            digest.update(hashlib.sha256(data).digest())
            size += len(data)
    return digest.digest(), size
