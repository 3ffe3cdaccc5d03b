"""Allocates (and touches) far more than its MemorySize while it is imported."""

HOG = b"\x01" * (512 * 1024 * 1024)


def handler(event, context):
    return {"held": len(HOG)}
