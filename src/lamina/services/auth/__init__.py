"""Who may call the AWS endpoint: SigV4 verification and the refusals each protocol speaks."""
