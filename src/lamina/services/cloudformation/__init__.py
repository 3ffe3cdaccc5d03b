"""CloudFormation on the AWS endpoint: the deployed stack, read-only."""
