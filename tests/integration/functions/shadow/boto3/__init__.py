"""A stand-in boto3 shipped inside a function's code: the function must import this one."""

__version__ = "0.0.0-shipped"
