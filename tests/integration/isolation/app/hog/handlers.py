"""Allocates (and touches) far more than its MemorySize while it is imported, a little at a
time (as an init loading data would), so that the kernel, not a data-segment limit, stops it."""

import time

HOG = []
for _ in range(32):
    HOG.append(b"\x01" * (16 * 1024 * 1024))
    time.sleep(0.01)


def handler(event, context):
    return {"held": sum(len(chunk) for chunk in HOG)}
