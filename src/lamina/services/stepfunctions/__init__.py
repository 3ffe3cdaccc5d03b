"""Step Functions on the AWS endpoint: state machines, their executions, activities."""
