"""Forms as pages: a form's layout rendered to accessible HTML, filled, refreshed with htmx, validated.

``GET /forms/<department>/<name>`` shows ``forms/<department>/<name>.json`` with its UI file (a preview
for admins, in zh or en); ``POST`` the same address validates on the server (``layout.prepare``: hidden
groups' fields dropped and computed fields filled, then the ``FormValidator`` with the layout's
messages) and shows the form again with every error beside its field, or the validated data.

The server is the one source of truth for what the page shows. While a clerk types, the form posts
itself (htmx, after a short pause) to ``POST /forms/<department>/<name>/refresh``, which answers only
what changed, as out-of-band swaps: the computed fields (line amounts, total), the conditional groups
whose condition changed (each shown group posts a ``_group`` marker, so the server knows what the page
shows), and a rows table after a row was added or removed (``_action=add:lines``,
``_action=remove:lines[2]``). Inputs the clerk is typing in are never replaced, so focus and typed
text stay. Without JavaScript the same buttons post the whole form and the page comes back with the row.

:func:`build_view` turns a layout, data and errors into a tree of plain view objects, which the templates
under ``web/templates/forms/`` render (and :func:`render_standalone` writes as one file for
``orderloom forms preview``). Field names round-trip nested data: ``web.formdata``.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import jinja2
from flask import Blueprint, Response, abort, current_app, render_template, request, url_for
from markupsafe import Markup
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from engine.api import PublishedForm, translate
from engine.api.forms import (
    FieldError,
    FieldLayout,
    FormLayout,
    FormValidator,
    Option,
    OptionContext,
    OptionSourceRegistry,
    message,
    read_form,
    ui_path_for,
)
from engine.api.forms import fields as paths
from engine.errors import DefinitionError, PluginError
from web.auth import current_actor
from web.formdata import (
    RowsOverLimit,
    Token,
    choice_text,
    input_value,
    is_multi,
    local_input,
    parse_form,
    parse_name,
    rows_over_limit,
)
from web.i18n import current_lang

__all__ = [
    "ACTION",
    "GROUP_MARKER",
    "CompiledForm",
    "FormView",
    "apply_action",
    "build_view",
    "compile_form",
    "form_view",
    "forms",
    "posted_data",
    "posted_row_action",
    "refresh_response",
    "render_standalone",
]

forms = Blueprint("forms", __name__)

ACTION = "_action"  # add:<rows name> / remove:<row name>
GROUP_MARKER = "_group"  # posted by every shown group: what the page shows
MAX_FORM_PARTS = 5_000  # multipart posts: werkzeug takes 1,000 parts; 200 order lines post ~1,300 fields
# The built-in option sources that read tables: only they are given a database connection (opened once).
DATABASE_SOURCES = frozenset({"products", "customers", "accounts"})
_SEGMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
_JSON_STEPS = re.compile(r'\.([^.\[]+)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]')
_STATIC = Path(__file__).resolve().parent / "static"
_TEMPLATES = Path(__file__).resolve().parent / "templates"


# --------------------------------------------------------------------------------------------------
# Compiled forms


@dataclass(frozen=True)
class CompiledForm:
    """A form file read and compiled once: its schema, layout and validator."""

    department: str
    name: str
    schema: Mapping[str, Any]
    layout: FormLayout
    validator: FormValidator


def published_form(published: PublishedForm | None, department: str) -> CompiledForm | None:
    """The form a published version gives a page (None: the step or intake takes none), as the page
    module draws it."""
    if published is None:
        return None
    name = Path(published.path).name.removesuffix(".json")
    return CompiledForm(department, name, published.schema, published.layout, published.validator)


def compile_form(path: Path, sources: frozenset[str] | None = None, shown: str | None = None) -> CompiledForm:
    """The form ``forms/<department>/<name>.json`` with the UI file beside it (a default layout without
    one); ``DefinitionError`` when the UI file does not fit the schema, its problems naming the UI file
    as ``shown`` (the form file's path as people read it) would name it."""
    # Read as `orderloom validate` reads them: a problem (a number out of range, a root that is no
    # object) is a DefinitionError naming file:line:col, never a traceback.
    schema, layout = read_form(path, shown or str(path), sources)
    name = path.name[: -len(".json")]
    return CompiledForm(path.parent.name, name, schema, layout, FormValidator.compile(schema))


@functools.lru_cache(maxsize=64)
def _compiled(
    path: str, stamp: tuple[int, int], ui_stamp: tuple[int, int], sources: frozenset[str]
) -> CompiledForm:
    return compile_form(Path(path), sources, f"forms/{Path(path).parent.name}/{Path(path).name}")


def _stamp(path: Path) -> tuple[int, int]:
    try:
        found = path.stat()
    except OSError:
        return (0, 0)
    return (found.st_mtime_ns, found.st_size)


# --------------------------------------------------------------------------------------------------
# The view: plain objects the templates render


@dataclass
class Choice:
    text: str  # the value as posted
    label: str
    selected: bool
    id: str = ""
    fills: str = ""  # what choosing it fills in beside it, as JSON (product-pick.js reads it)
    note: str = ""  # what the page says beside it once it is chosen (product-pick.js shows it)


@dataclass
class Control:
    """One input (or a radio or checkbox list) with its label, help and errors."""

    widget: str
    id: str
    name: str
    label: str
    value: str
    input_type: str = "text"
    inputmode: str | None = None
    autocomplete: str | None = None
    choices: list[Choice] = field(default_factory=list)
    checked: bool = False
    multi: bool = False
    help: str | None = None
    placeholder: str | None = None
    readonly: bool = False
    required: bool = False
    computed: bool = False
    errors: list[str] = field(default_factory=list)
    hide_label: bool = False  # in a rows table the column header shows it; the label is for readers
    autofocus: bool = False
    kind: str = "control"

    @property
    def help_id(self) -> str:
        return f"{self.id}-help"

    @property
    def note_id(self) -> str:
        return f"{self.id}-note"

    @property
    def noted(self) -> bool:
        """Whether a choice says something once chosen (the page keeps a place to say it)."""
        return any(choice.note for choice in self.choices)

    @property
    def chosen_note(self) -> str:
        return next((choice.note for choice in self.choices if choice.selected and choice.note), "")

    @property
    def error_id(self) -> str:
        return f"{self.id}-error"

    @property
    def describedby(self) -> str:
        ids = ([self.help_id] if self.help else []) + ([self.error_id] if self.errors else [])
        return " ".join(ids + ([self.note_id] if self.noted else []))


@dataclass
class Fieldset:
    """An object field: its inner fields in a fieldset."""

    id: str
    name: str
    label: str
    children: list[Node]
    help: str | None = None
    errors: list[str] = field(default_factory=list)
    kind: str = "fieldset"

    @property
    def error_id(self) -> str:
        return f"{self.id}-error"


@dataclass
class Row:
    index: int
    label: str  # "第2行" / "Line 2"
    cells: list[Node]
    hidden: list[Control]
    remove_value: str
    errors: list[str] = field(default_factory=list)


@dataclass
class Rows:
    """A repeating group (order lines): a table of rows, add and remove buttons within min and max."""

    id: str
    name: str
    label: str
    headers: list[tuple[str, bool]]  # (label, required)
    rows: list[Row]
    can_add: bool
    can_remove: bool
    min_items: int
    max_items: int | None
    help: str | None = None
    errors: list[str] = field(default_factory=list)
    focus_add: bool = False
    kind: str = "rows"
    fixed: bool = False  # no row may be added (``FormLayout.adds_rows``): the add button is not shown

    @property
    def add_value(self) -> str:
        return f"add:{self.name}"

    @property
    def error_id(self) -> str:
        return f"{self.id}-error"

    @property
    def help_id(self) -> str:
        return f"{self.id}-help"


Node = Control | Fieldset | Rows


@dataclass
class GroupView:
    name: str
    id: str
    label: str
    columns: int
    shown: bool
    conditional: bool
    nodes: list[Node]


@dataclass
class ErrorItem:
    text: str
    target: str | None  # the id of its input, when the page shows it


@dataclass
class FormView:
    title: str
    groups: list[GroupView]
    hidden: list[Control]
    errors: list[ErrorItem]
    general: list[str]  # errors of no field the page shows
    lang: str
    action: str | None = None
    refresh: str | None = None
    interactive: bool = True

    def walk(self) -> Iterator[Node]:
        for group in self.groups:
            yield from _walk(group.nodes)
        yield from self.hidden

    def find(self, node_id: str) -> Node | None:
        return next((node for node in self.walk() if node.id == node_id), None)


def _walk(nodes: Sequence[Node]) -> Iterator[Node]:
    for node in nodes:
        yield node
        if isinstance(node, Fieldset):
            yield from _walk(node.children)
        elif isinstance(node, Rows):
            for row in node.rows:
                yield from _walk(row.cells)
                yield from row.hidden


def concrete_name(tokens: Sequence[Token]) -> str:
    """``["lines", 2, "qty"]`` -> ``"lines[2].qty"``: the name an input posts."""
    text = ""
    for token in tokens:
        if isinstance(token, int):
            text += f"[{token}]"
        else:
            text += f".{token}" if text else token
    return text


def element_id(name: str) -> str:
    """An HTML id for a field name, one-to-one: ``lines[2].qty`` -> ``f-lines-2-qty``; characters other
    than ASCII letters, digits and ``_`` are written as ``_xHEX_``."""
    out = ["f"]
    for token in parse_name(name) or [name]:
        if isinstance(token, int):
            out.append(str(token))
        else:
            out.append("".join(c if (c.isascii() and (c.isalnum() or c == "_")) else f"_x{ord(c):x}_"
                               for c in token))  # fmt: skip
    return "-".join(out)


def json_path_tokens(path: str) -> list[Token]:
    """``$.lines[1].qty`` (as ``FieldError.path`` writes it) -> ``["lines", 1, "qty"]``."""
    tokens: list[Token] = []
    for plain, index, quoted in _JSON_STEPS.findall(path[1:]):
        if index:
            tokens.append(int(index))
        else:
            tokens.append(plain or str(json.loads(quoted)))
    return tokens


OptionsFor = Callable[[FieldLayout], Sequence[Option]]


def _words(lang: str) -> Callable[[str], str]:
    return lambda key: translate(key, lang)


class _Builder:
    def __init__(
        self,
        compiled: CompiledForm,
        data: Mapping[str, Any],
        errors: Sequence[FieldError],
        lang: str,
        options_for: OptionsFor,
        focus: str | None,
    ) -> None:
        self.schema = compiled.schema
        self.layout = compiled.layout
        self.data = data
        self.lang = lang
        self.options_for = options_for
        # the row just added (its first input takes the focus), or the rows whose row was removed (their
        # add button takes it)
        self.focus = focus
        self.errors: dict[str, list[str]] = {}
        self.summary: list[tuple[str, str]] = []  # (name, text), in page order
        for error in errors:
            name = concrete_name(json_path_tokens(error.path))
            text = error.zh if lang == "zh" else error.en
            self.errors.setdefault(name, []).append(text)
            self.summary.append((name, text))
        self.used: set[str] = set()

    def text(self, value: paths.Text | None) -> str | None:
        return value.get(self.lang) if value is not None else None

    def fills(self, option: Option) -> str:
        """What choosing ``option`` fills in beside it, in the page's language, as JSON ("" for nothing)."""
        if not option.fills:
            return ""
        shown = {
            name: value.get(self.lang) if isinstance(value, paths.Text) else value
            for name, value in option.fills
        }
        return json.dumps(shown, ensure_ascii=False)

    def value_at(self, tokens: Sequence[Token]) -> Any:
        node: Any = self.data
        for token in tokens:
            if isinstance(token, int):
                node = node[token] if isinstance(node, list) and token < len(node) else None
            else:
                node = node.get(token) if isinstance(node, Mapping) else None
        return node

    def errors_for(self, name: str) -> list[str]:
        self.used.add(name)
        return list(self.errors.get(name, []))

    def node(self, path: str, tokens: list[Token], in_row: str | None = None) -> Node:
        spec = self.layout.fields[path]
        name = concrete_name(tokens)
        if spec.widget == "object" and not spec.hidden:
            children = [
                self.node(child, [*tokens, child.rsplit(".", 1)[-1]], in_row)
                for child in self.layout.children(path)
            ]
            return Fieldset(
                element_id(name), name, spec.label.get(self.lang), children,
                self.text(spec.help), self.errors_for(name),
            )  # fmt: skip
        if spec.widget == "rows" and not spec.hidden:
            return self.rows(spec, path, tokens)
        return self.control(spec, tokens, in_row)

    def rows(self, spec: FieldLayout, path: str, tokens: list[Token]) -> Rows:
        name = concrete_name(tokens)
        low = paths.first(self.schema, spec.schema, "minItems")
        high = paths.first(self.schema, spec.schema, "maxItems")
        min_items = low if isinstance(low, int) else 0
        max_items = high if isinstance(high, int) else None
        value = self.value_at(tokens)
        items = value if isinstance(value, list) else [self.layout.blank_item(path) for _ in range(min_items)]
        columns = list(self.layout.children(path))
        shown = [c for c in columns if not self.layout.fields[c].hidden]
        rows: list[Row] = []
        for index in range(len(items)):
            line = [*tokens, index]
            label = translate("forms.row", self.lang).format(n=index + 1)
            cells: list[Node] = []
            hidden: list[Control] = []
            for column in columns:
                node = self.node(column, [*line, column.rsplit(".", 1)[-1]], in_row=label)
                if isinstance(node, Control) and node.widget == "hidden":
                    hidden.append(node)
                else:
                    cells.append(node)
            row_name = concrete_name(line)
            if self.focus == row_name:  # a row just added: its first input takes the focus
                first = next((n for n in _walk(cells) if isinstance(n, Control)), None)
                if first is not None:
                    first.autofocus = True
            rows.append(Row(index, label, cells, hidden, f"remove:{row_name}", self.errors_for(row_name)))
        # a column the clerk fills: a computed or read-only one is not marked required
        columns = [self.layout.fields[c] for c in shown]
        headers = [
            (spec.label.get(self.lang), spec.required and spec.computed is None and not spec.readonly)
            for spec in columns
        ]
        return Rows(
            id=element_id(name),
            name=name,
            label=spec.label.get(self.lang),
            headers=headers,
            rows=rows,
            can_add=(max_items is None or len(items) < max_items) and self.layout.adds_rows(path),
            fixed=not self.layout.adds_rows(path),
            can_remove=len(items) > min_items,
            min_items=min_items,
            max_items=max_items,
            help=self.text(spec.help),
            errors=self.errors_for(name),
            focus_add=self.focus == name,
        )

    def control(self, spec: FieldLayout, tokens: list[Token], in_row: str | None) -> Control:
        name = concrete_name(tokens)
        value = self.value_at(tokens)
        label = spec.label.get(self.lang)
        widget = "hidden" if spec.hidden else spec.widget
        control = Control(
            widget=widget,
            id=element_id(name),
            name=name,
            label=f"{label}（{in_row}）" if in_row and self.lang == "zh" else
                  f"{label} ({in_row})" if in_row else label,
            value=input_value(value, spec) if not isinstance(value, list | dict) else "",
            help=None if in_row else self.text(spec.help),
            placeholder=self.text(spec.placeholder),
            readonly=spec.readonly,
            required=spec.required,
            computed=spec.computed is not None,
            errors=self.errors_for(name),
            hide_label=in_row is not None,
        )  # fmt: skip
        if widget in ("hidden", "object", "rows"):
            control.widget = "hidden"
            if isinstance(value, list | dict):
                control.value = json.dumps(value, ensure_ascii=False)
            return control
        if widget in ("select", "radio") or (widget == "checkbox" and is_multi(spec, self.schema)):
            control.multi = widget == "checkbox"
            chosen = value if isinstance(value, list) else [value]
            texts = {choice_text(v) for v in chosen if v is not None}
            options = list(self.options_for(spec))
            if not options and spec.source is not None:  # nothing to choose from: let the clerk type
                control.widget = "text"
                return control
            control.choices = [
                Choice(
                    choice_text(o.value),
                    o.label.get(self.lang),
                    choice_text(o.value) in texts,
                    fills=self.fills(o),
                    note=o.note.get(self.lang) if o.note is not None else "",
                )
                for o in options
            ]
            known = {c.text for c in control.choices}
            for missing in sorted(texts - known):  # a value no choice has: shown, not lost
                control.choices.append(Choice(missing, missing, True))
            for position, choice in enumerate(control.choices):
                choice.id = f"{control.id}-{position}"
            return control
        if widget == "checkbox":
            control.checked = value is True
            return control
        fmt = spec.format
        if widget == "date":
            control.input_type = "date" if value is None or _is_date(value) else "text"
        elif widget in ("datetime", "time"):
            # a value the browser's input cannot hold is shown as it is, in a text box
            usable = value is None or (isinstance(value, str) and local_input(value, widget) is not None)
            control.input_type = ("datetime-local" if widget == "datetime" else "time") if usable else "text"
        elif widget in ("number", "money"):
            integer = "integer" in paths.kinds(self.schema, spec.schema)
            control.inputmode = "numeric" if integer else "decimal"
        elif fmt == "mobile-cn":
            control.input_type, control.inputmode, control.autocomplete = "tel", "numeric", "tel"
        elif fmt == "email":
            control.input_type, control.autocomplete = "email", "email"
        elif fmt == "postcode-cn":
            control.inputmode, control.autocomplete = "numeric", "postal-code"
        return control

    def build(self) -> FormView:
        shown_names = set(self.layout.shown_groups(self.data))
        groups: list[GroupView] = []
        placed: set[str] = set()
        for group in self.layout.groups:
            shown = group.name in shown_names
            nodes: list[Node] = []
            if shown:
                for path in group.fields:
                    tokens = paths.split_path(path)
                    if tokens is None or path not in self.layout.fields:
                        continue
                    nodes.append(self.node(path, list(tokens)))
            placed.update(group.fields)
            groups.append(
                GroupView(group.name, f"group-{group.name}", group.label.get(self.lang), group.columns,
                          shown, bool(group.when), nodes)
            )  # fmt: skip
        hidden: list[Control] = []
        for path, spec in self.layout.fields.items():
            top = "." not in path and paths.ITEMS not in path
            if top and spec.hidden and path not in placed and self.value_at([path]) is not None:
                hidden.append(self.control(spec, [path], None))
        targets = {node.name: node.id for node in _all(groups, hidden)}
        items = [ErrorItem(text, _target(targets, name)) for name, text in self.summary]
        general = [text for name, text in self.summary if name not in self.used]
        return FormView(self.layout.title.get(self.lang), groups, hidden, items, general, self.lang)


def _all(groups: Sequence[GroupView], hidden: Sequence[Control]) -> Iterator[Node]:
    for group in groups:
        yield from _walk(group.nodes)
    yield from hidden


def _target(targets: Mapping[str, str], name: str) -> str | None:
    """The id an error's summary link goes to: its field's, else the first field inside it (an object
    none of whose fields was posted)."""
    if name in targets:
        return targets[name]
    inside = [n for n in targets if n.startswith(name + ".") or n.startswith(name + "[")] if name else []
    return targets[inside[0]] if inside else None


def _is_date(value: Any) -> bool:
    """Whether a date input can show ``value``: a day the calendar has (a browser empties the input given
    2026-02-30, and the clerk would see the refusal beside nothing)."""
    if not isinstance(value, str) or re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) is None:
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def build_view(
    compiled: CompiledForm,
    data: Mapping[str, Any],
    errors: Sequence[FieldError] = (),
    lang: str = "zh",
    options_for: OptionsFor | None = None,
    focus: str | None = None,
) -> FormView:
    """The page of ``compiled`` for ``data`` with ``errors`` beside their fields, in ``lang``. Choices
    from option sources come from ``options_for`` (default: the schema's enum only)."""
    chosen = options_for or (lambda spec: spec.options)
    return _Builder(compiled, data, errors, lang, chosen, focus).build()


# --------------------------------------------------------------------------------------------------
# Rows: add and remove


def apply_action(
    compiled: CompiledForm, data: dict[str, Any], action: str
) -> tuple[dict[str, Any], str | None]:
    """``add:lines`` appends an empty row (within ``maxItems``), ``remove:lines[2]`` removes one (within
    ``minItems``). Returns the data and the name of the rows field changed (None: nothing to do)."""
    verb, _, name = action.partition(":")
    tokens = parse_name(name)
    if verb not in ("add", "remove") or not tokens:
        return data, None
    index: int | None = None
    if verb == "remove":
        if not isinstance(tokens[-1], int):
            return data, None
        index = tokens[-1]
        tokens = tokens[:-1]
    rows_path = paths.field_path(tokens)
    spec = compiled.layout.fields.get(rows_path)
    if spec is None or spec.widget != "rows":
        return data, None
    low = paths.first(compiled.schema, spec.schema, "minItems")
    high = paths.first(compiled.schema, spec.schema, "maxItems")
    holder: Any = data
    for token in tokens[:-1]:
        if isinstance(token, int):
            holder = holder[token] if isinstance(holder, list) and token < len(holder) else None
        else:
            holder = holder.setdefault(token, {}) if isinstance(holder, dict) else None
        if holder is None:
            return data, None
    if not isinstance(holder, dict):
        return data, None
    last = tokens[-1]
    if isinstance(last, int):
        return data, None
    items = holder.get(last)
    if not isinstance(items, list):
        items = [compiled.layout.blank_item(rows_path) for _ in range(low if isinstance(low, int) else 0)]
    if (
        verb == "add"
        and (not isinstance(high, int) or len(items) < high)
        and compiled.layout.adds_rows(rows_path)
    ):
        items = [*items, compiled.layout.blank_item(rows_path)]
    elif (
        verb == "remove"
        and index is not None
        and index < len(items)
        and len(items) > (low if isinstance(low, int) else 0)
    ):
        items = items[:index] + items[index + 1 :]
    holder[last] = items
    return data, concrete_name(tokens)


# --------------------------------------------------------------------------------------------------
# Pages


def _services() -> Any:
    return current_app.extensions["orderloom"]


def _registry() -> OptionSourceRegistry:
    registry: OptionSourceRegistry = _services().option_sources  # loaded and checked when the app starts
    return registry


def source_options(
    registry: OptionSourceRegistry,
    department: str,
    definitions_root: Path | None,
    connect: Callable[[], AbstractContextManager[Any]] | None,
) -> tuple[OptionsFor, Callable[[], None]]:
    """``options_for`` reading option sources (each source and params once), and a ``close`` that ends
    the database connection ``connect`` may have given it (a read: drawing a page writes nothing). A
    source that fails (no database) offers no choices; the page then shows a text box."""
    cache: dict[tuple[str, str], tuple[Option, ...]] = {}
    opened: list[Any] = []
    held = ExitStack()

    def connection() -> Any:
        if not opened and connect is not None:
            opened.append(held.enter_context(connect()))
        return opened[0] if opened else None

    def options_for(spec: FieldLayout) -> Sequence[Option]:
        if spec.source is None:
            return spec.options
        key = (spec.source.source, json.dumps(dict(spec.source.params), sort_keys=True, default=str))
        if key not in cache:
            needs = spec.source.source in DATABASE_SOURCES
            ctx = OptionContext(
                department, spec.source.params, connection() if needs else None, definitions_root
            )
            try:
                found = registry.options(spec.source.source, ctx)
            except (PluginError, SQLAlchemyError):
                found = []
            cache[key] = tuple(
                Option(
                    o["value"],
                    paths.Text(o["label"]["zh"], o["label"]["en"]),
                    tuple((name, _filled(value)) for name, value in o.get("fills", {}).items()),
                    _filled(o["note"]) if "note" in o else None,
                )
                for o in found
            )
        return cache[key]

    def close() -> None:
        held.close()

    return options_for, close


def _filled(value: Any) -> Any:
    """A value an option fills in: a ``{zh, en}`` text as a Text, anything else as it is."""
    return paths.Text(value["zh"], value["en"]) if isinstance(value, Mapping) else value


def _form_path(department: str, name: str) -> Path:
    """The form file of the address, or a 404: only names of letters, digits, ``-`` and ``_``, and only
    files inside the definitions' forms/ folder."""
    if not _SEGMENT.fullmatch(department) or not _SEGMENT.fullmatch(name):
        abort(404)
    root = (Path(_services().settings.definitions_root) / "forms").resolve()
    path = (root / department / f"{name}.json").resolve()
    if not path.is_relative_to(root) or not path.is_file():
        abort(404)
    return path


def _load(department: str, name: str) -> CompiledForm:
    """The form of the address, for a user of its department only (another department's is a 404, as an
    order of another department is)."""
    if not current_actor().in_department(department):
        abort(404)
    path = _form_path(department, name)
    return _compiled(str(path), _stamp(path), _stamp(ui_path_for(path)), _registry().names)


def form_view(
    compiled: CompiledForm,
    data: Mapping[str, Any],
    errors: Sequence[FieldError] = (),
    focus: str | None = None,
    *,
    action: str | None = None,
    refresh: str | None = None,
) -> FormView:
    """The page of ``compiled`` in the request's language, its choices read from the option sources;
    it posts to ``action`` and refreshes through ``refresh`` (default: this form's preview addresses)."""
    settings = _services().settings
    options_for, close = source_options(
        _registry(), compiled.department, Path(settings.definitions_root), _services().engine.reading
    )
    try:
        view = build_view(compiled, data, errors, current_lang(), options_for, focus)
    finally:
        close()
    view.action = action or url_for("forms.show", department=compiled.department, name=compiled.name)
    view.refresh = refresh or url_for("forms.refresh", department=compiled.department, name=compiled.name)
    return view


def _render(
    compiled: CompiledForm,
    data: Mapping[str, Any],
    errors: Sequence[FieldError] = (),
    focus: str | None = None,
    template: str = "forms/page.html",
    **extra: Any,
) -> str:
    view = form_view(compiled, data, errors, focus)
    return render_template(template, view=view, form=compiled, **extra)


def posted_data(compiled: CompiledForm) -> dict[str, Any]:
    """The posted form read back into the nested data of ``compiled`` (``web.formdata.parse_form``).

    A rows table sent with more rows than its ``maxItems`` is refused first (422, the field and its
    limit named), counted from the names alone: no value is parsed, computed, validated or drawn again."""
    request.max_form_parts = MAX_FORM_PARTS
    over = rows_over_limit(request.form.keys(), compiled.layout, compiled.schema)
    if over is not None:
        abort(Response(_too_many_rows(compiled, over), status=422))
    return parse_form(request.form.items(multi=True), compiled.layout, compiled.schema)


def _too_many_rows(compiled: CompiledForm, over: RowsOverLimit) -> str:
    """The page refusing a form sent with too many rows: the form's own message for its ``maxItems``
    (the UI file's, else the catalogue's), and how many rows came."""
    label = compiled.validator.label(list(over.tokens), compiled.layout)
    text = message("maxItems", label, limit=over.limit, custom=over.spec.messages.get("maxItems"))
    lang = current_lang()
    return render_template(
        "error.html",
        code=422,
        key="forms.too_many_rows",
        values={"message": text.get(lang), "rows": over.rows},
    )


def posted_row_action(
    compiled: CompiledForm, data: dict[str, Any]
) -> tuple[dict[str, Any], str | None] | None:
    """A row added or removed by a button posting the whole form (no JavaScript): the data prepared
    with the row changed and the name to focus; None when the post was a submit."""
    action = request.form.get(ACTION)
    if not action:
        return None
    data, changed = apply_action(compiled, data, action)
    return compiled.layout.prepare(data), _focus(data, changed, action)


@forms.get("/forms/<department>/<name>")
def show(department: str, name: str) -> Any:
    compiled = _load(department, name)
    return _render(compiled, compiled.layout.prepare(compiled.layout.blank()))


@forms.post("/forms/<department>/<name>")
def submit(department: str, name: str) -> Any:
    compiled = _load(department, name)
    data = posted_data(compiled)
    rows = posted_row_action(compiled, data)
    if rows is not None:  # a row added or removed without JavaScript: the form again, nothing validated
        return _render(compiled, rows[0], focus=rows[1])
    prepared = compiled.layout.prepare(data)
    errors = compiled.validator.messages(prepared, compiled.layout)
    if errors:
        return _render(compiled, prepared, errors), 422
    shown = json.dumps(prepared, ensure_ascii=False, indent=2)
    return _render(compiled, prepared, template="forms/success.html", data_json=shown)


def _focus(data: Mapping[str, Any], changed: str | None, action: str) -> str | None:
    """After adding a row: its first input; after removing one: the rows' add button."""
    if changed is None:
        return None
    if action.startswith("add:"):
        node: Any = data
        for token in parse_name(changed) or []:
            node = node[token] if _has(node, token) else None
        count = len(node) if isinstance(node, list) else 0
        return f"{changed}[{count - 1}]" if count else changed
    return changed


def _has(node: Any, token: Token) -> bool:
    if isinstance(node, list):
        return isinstance(token, int) and token < len(node)
    return isinstance(node, dict) and token in node


@forms.post("/forms/<department>/<name>/refresh")
def refresh(department: str, name: str) -> Any:
    """What changed since the page was drawn, as htmx out-of-band swaps (see the module's docstring)."""
    return refresh_response(_load(department, name))


def refresh_response(
    compiled: CompiledForm, *, action: str | None = None, refresh: str | None = None
) -> Response:
    """The answer to an htmx refresh of a page of ``compiled``: what changed since it was drawn, as
    out-of-band swaps (the preview pages and the order pages answer with this one function)."""
    data = posted_data(compiled)
    action_value = _pressed_action()
    changed: str | None = None
    if action_value:
        data, changed = apply_action(compiled, data, action_value)
    shown_before = set(request.form.getlist(GROUP_MARKER))
    prepared = compiled.layout.prepare(data)
    conditional = {group.name for group in compiled.layout.groups if group.when}
    appeared = (set(compiled.layout.shown_groups(prepared)) & conditional) - shown_before
    if appeared:  # a group that appears starts as a new page would: its fields' defaults and fixed values
        prepared = compiled.layout.prepare(compiled.layout.blank(appeared, prepared))
    view = form_view(
        compiled,
        prepared,
        focus=_focus(data, changed, action_value or ""),
        action=action,
        refresh=refresh,
    )
    groups, rows, computed = changes(view, shown_before, changed)
    html = render_template("forms/refresh.html", view=view, groups=groups, rows=rows, computed=computed)
    return Response(html, mimetype="text/html")


def _pressed_action() -> str | None:
    """The row button pressed, when a button's own request brought this refresh. htmx sends the form's last
    focused submit button with every request of the form, so a refresh the form sent itself (the clerk
    typed, then tabbed on to a remove button before the pause ended) carries that button's value too: it
    is honoured only when the button issued the request (``HX-Trigger-Name``). A post without htmx (a
    test, a script) is taken at its word."""
    if request.headers.get("HX-Request") == "true" and request.headers.get("HX-Trigger-Name") != ACTION:
        return None
    return request.form.get(ACTION) or None


def changes(
    view: FormView, shown_before: set[str], changed_rows: str | None
) -> tuple[list[GroupView], list[Rows], list[Control]]:
    """What a refresh swaps: the conditional groups shown or hidden since the page was drawn (``shown_before``
    are the groups it shows), the rows field a row was added to or removed from, and every computed field
    outside those."""
    groups = [g for g in view.groups if g.conditional and g.shown != (g.name in shown_before)]
    swapped = {g.name for g in groups}
    rows: list[Rows] = []
    computed: list[Control] = []

    def visit(nodes: Sequence[Node]) -> None:
        for node in nodes:
            if isinstance(node, Rows):
                if changed_rows is not None and node.name == changed_rows:
                    rows.append(node)
                    continue
                for row in node.rows:
                    visit(row.cells)
            elif isinstance(node, Fieldset):
                visit(node.children)
            elif node.computed and node.widget != "hidden":
                computed.append(node)

    for group in view.groups:
        if group.shown and group.name not in swapped:
            visit(group.nodes)
    return groups, rows, computed


@forms.route("/forms/<path:rest>", methods=["GET", "POST"])
def unknown(rest: str) -> Any:
    abort(404)


@forms.errorhandler(404)
def not_found(error: HTTPException) -> Any:
    return render_template("forms/error.html", code=404, key="forms.not_found"), 404


@forms.errorhandler(413)
def too_large(error: HTTPException) -> Any:
    limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
    shown = f"{limit / (1024 * 1024):g} MB" if limit >= 1024 * 1024 else f"{limit} B"
    return render_template("forms/error.html", code=413, key="forms.too_large", limit=shown), 413


@forms.errorhandler(DefinitionError)
def broken_form(error: DefinitionError) -> Any:
    problems = [problem.format(current_lang()) for problem in error.problems]
    return render_template("forms/error.html", code=500, key="forms.broken", problems=problems), 500


# --------------------------------------------------------------------------------------------------
# A page on its own (orderloom forms preview)


def render_standalone(
    compiled: CompiledForm,
    data: Mapping[str, Any],
    lang: str,
    options_for: OptionsFor | None = None,
) -> str:
    """One HTML file showing the form filled with ``data``: the CSS inlined, no script and no server
    needed (computed fields computed, hidden groups left out as a submit would)."""
    prepared = compiled.layout.prepare(data if data else compiled.layout.blank())
    errors = compiled.validator.messages(prepared, compiled.layout) if data else []
    view = build_view(compiled, prepared, errors, lang, options_for)
    view.interactive = False
    css = "\n".join((_STATIC / name).read_text(encoding="utf-8") for name in ("app.css", "forms.css"))
    template = _standalone_environment().get_template("forms/standalone.html")
    return template.render(view=view, lang=lang, t=_words(lang), css=Markup(css))  # noqa: S704 - our own files


@functools.cache
def _standalone_environment() -> jinja2.Environment:
    """The templates of a standalone form, outside any app: made once, its compiled templates kept (it
    checks the files' times, so a template edited is read again)."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(_TEMPLATES)),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
    )
