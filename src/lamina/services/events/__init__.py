"""EventBridge on the AWS endpoint: event buses, rules with event patterns, targets."""
