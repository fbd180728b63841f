"""Forms: JSON Schema validation with messages in Chinese and English, formats, and the UI-schema model
(``engine.forms.ui``; docs/forms.md)."""

from engine.forms.validation import FieldError, FormError, FormValidator

__all__ = ["FieldError", "FormError", "FormValidator"]
