"""Secrets Manager on the AWS endpoint."""
