"""The correlation feed a worker runs: the rule sets it matches events against, loaded from a
definitions folder, the feed and the report of one of its rounds (part of ``engine.api``)."""

from engine.rules.correlation import CorrelationRuleset
from engine.runtime.correlation_feed import CorrelationFeed, FeedReport, load_correlation_rulesets

__all__ = ["CorrelationFeed", "CorrelationRuleset", "FeedReport", "load_correlation_rulesets"]
