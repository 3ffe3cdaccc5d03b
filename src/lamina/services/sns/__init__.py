"""Amazon SNS on the AWS endpoint: topics, subscriptions, checks and delivery."""
