"""AWS-compatible APIs on Lamina's AWS endpoint: one sub-package per service."""
