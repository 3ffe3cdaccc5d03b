"""Amazon CloudWatch on the AWS endpoint: metrics (Lamina's own and users'), metric math, alarms."""
