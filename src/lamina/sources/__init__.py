"""What runs functions besides HTTP: event source mapping pollers (DynamoDB streams today;
SQS queues and Kinesis next), later the scheduler and Pipes.

A source reads what a service stored through a small protocol (``api.py``) the composition root
fills with the service's reader, so sources never import services; it invokes through the
engine's ``Invoker`` and hands what it discards to ``lamina.delivery``.
"""
