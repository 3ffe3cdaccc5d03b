"""Execution environments and their lifecycle. Callers above use ``lamina.engine.api`` only."""
