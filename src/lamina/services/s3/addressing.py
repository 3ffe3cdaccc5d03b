"""Which bucket a virtual-hosted-style ``Host`` names: ``BUCKET.localhost[:PORT]`` or
``BUCKET.s3.localhost[:PORT]`` (``*.localhost`` resolves to loopback). Imports nothing of Lamina:
the door's signature checks need it as much as S3 does."""

from __future__ import annotations

_SUFFIXES = (".s3.localhost", ".localhost")


def bucket_host(host: str) -> str | None:
    """The bucket ``host`` names, or None for a host that names none (``localhost``,
    ``s3.localhost``, an address)."""
    if host.startswith("["):
        return None
    name = host.rsplit(":", 1)[0].lower()
    for suffix in _SUFFIXES:
        if name.endswith(suffix):
            bucket = name[: -len(suffix)]
            return bucket if bucket and bucket != "s3" else None
    return None
