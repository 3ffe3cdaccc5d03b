"""Amazon SNS on the AWS endpoint: topics, subscriptions, publishing and delivery."""
