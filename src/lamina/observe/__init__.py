"""Observability: the log pipeline every invocation's output travels through (later metrics and
traces). L2: it knows nothing above it; the engine writes into it, the console and the
CloudWatch Logs API read from it."""
