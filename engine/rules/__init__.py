"""Conditions and rule sets: the expression language (``expr``), rule files of every kind (``ruleset``
and the kinds beside it, registered in ``kinds``), their checks (``checks``) and scenario cases
(``testing``).

The package imports none of its modules: importing ``engine.rules.expr`` loads the expression language
alone, not every rule kind (tests/test_layers.py holds the layers).
"""
