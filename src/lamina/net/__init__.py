"""HTTP/1.1 plumbing shared by the gateway and the AWS endpoint: messages and a small server.

No web framework: an asyncio protocol on httptools hands each request to one async handler.
"""
