"""Amazon Data Firehose delivery streams on the AWS endpoint."""
