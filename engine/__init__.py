"""OrderLoom engine: workflow language, runtime, rules, forms and storage.

The engine imports nothing from ``web`` or ``plugins``; they depend on it.
"""

__version__ = "0.1.0"
