"""API Gateway's management API (``apigateway``): API keys, usage plans, read-only APIs."""
