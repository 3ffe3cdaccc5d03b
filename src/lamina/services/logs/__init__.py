"""CloudWatch Logs on the AWS endpoint: the log groups every function writes to, and the API."""
