"""The form model a page is drawn from: a form's layout and fields, its validator and their messages,
field paths, formats, and the option sources that fill choices (part of ``engine.api``)."""

from engine.dsl.loader import load_json
from engine.forms import fields
from engine.forms.checks import check_form_file, read_form
from engine.forms.fields import ITEMS
from engine.forms.formats import FORMAT_CHECKER, MONEY_TEXT, is_money
from engine.forms.messages import message
from engine.forms.numbers import unstorable_refusals
from engine.forms.ui import FieldLayout, FormLayout, Option, load_layout, ui_path_for
from engine.forms.validation import FieldError, FormValidator
from engine.plugins import OptionContext, OptionSourceRegistry

__all__ = [
    "FORMAT_CHECKER",
    "ITEMS",
    "MONEY_TEXT",
    "FieldError",
    "FieldLayout",
    "FormLayout",
    "FormValidator",
    "Option",
    "OptionContext",
    "OptionSourceRegistry",
    "check_form_file",
    "fields",
    "is_money",
    "load_json",
    "load_layout",
    "message",
    "read_form",
    "ui_path_for",
    "unstorable_refusals",
]
