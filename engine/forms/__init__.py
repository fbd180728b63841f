"""Forms: JSON Schema validation with messages in Chinese and English."""

from engine.forms.validation import FormError, FormValidator

__all__ = ["FormError", "FormValidator"]
