"""The event-pattern matcher: EventBridge rules, Lambda ``FilterCriteria`` and SNS filter
policies. Pure logic; compile a pattern once, match many documents."""

from lamina.patterns.index import PatternIndex
from lamina.patterns.pattern import (
    EVENTBRIDGE,
    SNS_ATTRIBUTES,
    SNS_BODY,
    Pattern,
    Rules,
    compile_pattern,
    parse,
)
from lamina.patterns.values import PatternError
from lamina.patterns.where import located

__all__ = [
    "EVENTBRIDGE",
    "SNS_ATTRIBUTES",
    "SNS_BODY",
    "Pattern",
    "PatternError",
    "PatternIndex",
    "Rules",
    "compile_pattern",
    "located",
    "parse",
]
