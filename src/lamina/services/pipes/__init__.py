"""EventBridge Pipes: the API (``service``), its SQLite store and the pipes that run."""
