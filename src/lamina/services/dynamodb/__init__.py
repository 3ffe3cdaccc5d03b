"""A DynamoDB-compatible service on the AWS endpoint, durable in SQLite.

``service.DynamoDBService`` is the ``Service`` the endpoint dispatches to; ``protocol`` speaks the
JSON wire protocol; ``database.Database`` holds the tables; the operations live in ``tables``,
``items``, ``reads``, ``batch``, ``transactions``, ``partiql``, ``streams`` and ``ttl``.
"""
