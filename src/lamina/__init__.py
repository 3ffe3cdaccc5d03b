"""Lamina: AWS Lambda and API Gateway applications, run on your own machine."""

__version__ = "0.1.0"
