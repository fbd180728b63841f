"""Forms: JSON Schema validation with messages in Chinese and English, formats, and the UI-schema model
(``engine.forms.ui``; docs/forms.md)."""

from engine.forms.validation import FieldError, FormValidator

__all__ = ["FieldError", "FormValidator"]
