"""SSM Parameter Store on the AWS endpoint."""
