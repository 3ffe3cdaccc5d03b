"""Kinesis Data Streams on the AWS endpoint."""
