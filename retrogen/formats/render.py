"""Jinja environments for generated Markdown: autoescape on, plus a filter that neutralises Markdown.

Review text is untrusted. The `md` filter makes it inert: `<` becomes an entity, so no HTML gets through,
and every character that would start a link, image, code span, emphasis, attribute list or table cell is
backslash-escaped, so none can be made from review text either. Everything else stays as written, so the
Markdown also reads well as a plain file (decision-chain, not decision\\-chain).
"""

from __future__ import annotations

import json
import re
import string
from collections.abc import Callable, Hashable
from datetime import date
from typing import Any

import jinja2
import jinja2.compiler
import jinja2.nodes
import markupsafe
from markupsafe import Markup

from retrogen.formats.numbers import number, percent, signed_change

# Wherever they stand: code spans, emphasis (`*` always; `_` except between two letters or digits, where neither
# Python-Markdown nor CommonMark reads it), links and images (`[`, `]`), attribute lists (`{`, which attr_list
# would turn into HTML attributes such as onclick), table cells (`|`), a backslash that would escape what
# follows, and a last `#` (a heading drops its closing hashes: `## C#` would read "C").
_INLINE = re.compile(r"[`*\[\]{|]|(?<![^\W_])_|_(?![^\W_])|\\(?=[!-/:-@\[-`{-~]|$)|#$")
# At the start of the text, which a template may put at the start of a line: lists, headings, quotes,
# admonitions (`!!!`), fences (`~~~`), rules and setext underlines; a number and `.` or `)` starts a list.
_LEADING = re.compile(r"^(?:[-+#>!~=]|\d+(?=[.)](?:\s|$)))")
# An entity (`&lt;`, `&#60;`) would show as the character it names, so its `&` is written out; a lone & is
# harmless and stays readable.
_ENTITY = re.compile(r"&(?=#?\w+;)")
# A character without which _ENTITY, `<` and _INLINE find nothing: most review text has none, and a playbook of
# 10,000 reviews escapes 90,000 texts.
_ANY_INLINE = re.compile(r"[&<`*\[\]{|_\\#]")


def md(value: Any) -> Markup:
    """Review text as inert Markdown on one line: no HTML, no link, no formatting, and escapes only where a
    character would otherwise mean something."""
    if value is None:
        return Markup("")
    text = " ".join(str(value).split())
    if _ANY_INLINE.search(text):
        text = _ENTITY.sub("&amp;", text).replace("<", "&lt;")
        text = _INLINE.sub(lambda m: "\\" + m.group(), text)
    return Markup(_LEADING.sub(_escape_leading, text))


def md_format(template: str, **values: Any) -> Markup:
    """A sentence of the catalogue with its {fields} filled in, as inert Markdown like `md`: the sentence and
    plain values are escaped, a value that is already Markup (a link a template made) goes in as it is."""
    pieces: list[str] = []
    for literal, field, _, _ in string.Formatter().parse(template):
        # The sentence's own spaces stay (md would trim them); only its start can start a line.
        words = _INLINE.sub(lambda m: "\\" + m.group(), _ENTITY.sub("&amp;", literal).replace("<", "&lt;"))
        pieces.append(words if pieces else _LEADING.sub(_escape_leading, words))
        if field is not None:
            value = values[field]
            pieces.append(value if isinstance(value, Markup) else md(value))
    return Markup("".join(pieces))


def _escape_leading(match: re.Match[str]) -> str:
    found = match.group()
    return found + "\\" if found[0].isdigit() else "\\" + found


def iso(value: date | None) -> str:
    """A date as YYYY-MM-DD; nothing for none."""
    return "" if value is None else value.isoformat()


def day(value: date | None) -> Markup:
    """A date as YYYY-MM-DD in a `<time>`, which the site's stylesheet keeps on one line (a phone broke
    2026-11-|30 at the hyphen); the text stays the date, so search and copying find it as it was. Nothing for
    none."""
    return Markup("") if value is None else Markup(f"<time>{value.isoformat()}</time>")


def once(
    macro: Callable[..., Markup],
    drawn: dict[Hashable, Markup] | None = None,
    key: Callable[..., Hashable] | None = None,
) -> Callable[..., Markup]:
    """`macro`, drawn once per distinct arguments for as long as the page that asks for it renders: a badge or a
    label drawn on many rows of a page (a state on each of forty follow-up rows) is drawn once and the same text
    given again. A macro's call costs what a dozen filters do. Only for a macro whose output depends on its
    arguments and the page being rendered alone (`{% set state_badge = once(state_badge) %}` in that page).
    `drawn`: what was drawn, shared by the pages that would draw alike; `key`: what of the arguments the
    output depends on, when not all of them."""
    drawn = {} if drawn is None else drawn
    key = key or _arguments

    def drawn_once(*args: Any, **kwargs: Any) -> Markup:
        known = key(*args, **kwargs)
        found = drawn.get(known)
        if found is None:
            found = drawn[known] = macro(*args, **kwargs)
        return found

    return drawn_once


def _arguments(*args: Any, **kwargs: Any) -> Hashable:
    return (args, tuple(kwargs.items())) if kwargs else args


class CompiledTemplates(jinja2.BytecodeCache):
    """Templates compiled once a process, not once a build: compiling was half the time of generating the pages,
    which `serve` does on every save (and the tests hundreds of times); `serve` keeps the theme's in one too.
    Jinja keys the code by the template's source, so an edited template is compiled again; the code depends on
    the environment's settings, so each kind of environment needs a cache of its own."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


_COMPILED = CompiledTemplates()  # only for environment(): the code depends on the environment's settings

# What `row.name` finds on a dict before its item: its methods and the like.
_DICT_ATTRIBUTES = frozenset(dir(dict))
# The characters markupsafe.escape replaces.
_HTML_SPECIAL = re.compile("[&<>'\"]")


def escaped(value: Any) -> str:
    """`value` as markupsafe.escape writes it into a page. A text with nothing to escape, or already Markup, is
    given as it is rather than copied into a new Markup: the page joins the pieces into one text either way, and
    making a Markup of each of its 1,400 pieces was a fifth of rendering a review's page."""
    if value.__class__ is str:
        return value if _HTML_SPECIAL.search(value) is None else markupsafe.escape(value)
    if value.__class__ is Markup:
        return value
    return markupsafe.escape(value)


class _Output(jinja2.compiler.CodeGenerator):
    """Jinja's code generator, with each `{{ value }}` of an autoescaping template written through `escaped`
    instead of markupsafe.escape."""

    def _output_child_pre(self, node: jinja2.nodes.Expr, frame: jinja2.compiler.Frame, finalize: Any) -> None:
        if frame.eval_ctx.autoescape and not frame.eval_ctx.volatile and finalize.src is None:
            self.write("environment.escaped(")
            return
        super()._output_child_pre(node, frame, finalize)


class _Environment(jinja2.Environment):
    """Jinja's environment, with `row.name` on a dict looked up as Jinja would, minus the AttributeError it
    raises and catches first: the rows and labels of a page are dicts, and a review's page looks up 300 of their
    items so (the error was two thirds of each lookup); and its output escaped by `escaped`."""

    code_generator_class = _Output
    escaped = staticmethod(escaped)

    def getattr(self, obj: Any, attribute: str) -> Any:
        if obj.__class__ is dict and attribute not in _DICT_ATTRIBUTES and attribute in obj:
            return obj[attribute]
        return jinja2.Environment.getattr(self, obj, attribute)


def environment(package_folder: str) -> jinja2.Environment:
    env = _Environment(
        loader=jinja2.PackageLoader("retrogen", package_folder),
        bytecode_cache=_COMPILED,
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        md=md, md_format=md_format, percent=percent, number=number, iso=iso, day=day, signed_change=signed_change
    )
    env.globals["once"] = once
    return env


def yaml_environment(package_folder: str) -> jinja2.Environment:
    """For YAML and Markdown files people own (`new`, `init`), not HTML: autoescape would corrupt them. Values
    go through the `yaml` filter, which writes a JSON string (always valid YAML), so no input can change the
    file's structure."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("retrogen", package_folder),
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["yaml"] = lambda value: json.dumps(str(value), ensure_ascii=False)
    return env
