"""Conditions and rule sets: the expression language (``expr``) and rule files (``ruleset``)."""

from engine.rules.expr import (
    ALLOWED_ROOTS,
    FUNCTIONS,
    CompiledExpression,
    ExpressionError,
    ExpressionEvaluationError,
    check,
    compile_expression,
    parse,
)
from engine.rules.ruleset import CompiledRuleset, Decision, check_ruleset, compile_ruleset

__all__ = [
    "ALLOWED_ROOTS",
    "FUNCTIONS",
    "CompiledExpression",
    "CompiledRuleset",
    "Decision",
    "ExpressionError",
    "ExpressionEvaluationError",
    "check",
    "check_ruleset",
    "compile_expression",
    "compile_ruleset",
    "parse",
]
