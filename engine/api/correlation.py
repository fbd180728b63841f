"""The correlation feed a worker runs: the rule sets it matches events against, loaded from a
definitions folder, the feed and the report of one of its rounds, and what a rule set suggests (part
of ``engine.api``)."""

from engine.rules.correlation import CorrelationRuleset, SuggestAction
from engine.runtime.correlation_feed import CorrelationFeed, FeedReport, load_correlation_rulesets

__all__ = [
    "CorrelationFeed",
    "CorrelationRuleset",
    "FeedReport",
    "SuggestAction",
    "load_correlation_rulesets",
]
