"""DynamoDB expressions: tokenise -> parse (AST) -> validate -> evaluate or apply.

``request.RequestExpressions`` is the entry point for operations; ``evaluate.holds`` decides a
condition, ``update.apply`` performs an update, ``projection.project`` selects attributes.
"""
