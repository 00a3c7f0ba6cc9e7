"""Jinja environments for generated Markdown: autoescape on, plus a filter that neutralises Markdown.

Review text is untrusted. Autoescaping turns `<`, `>`, `&` and quotes into entities, so no HTML gets
through; the `md` filter backslash-escapes Markdown punctuation, so no link, image, emphasis or table
break can be made from review text either.
"""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

import jinja2
from markupsafe import Markup

from retrogen.numbers import number, percent, signed_change

_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_{}\[\]()#+\-.!|])")


def md(value: Any) -> Markup:
    """Review text as inert Markdown: HTML-escaped, punctuation escaped, lines joined."""
    if value is None:
        return Markup("")
    text = _MARKDOWN_PUNCTUATION.sub(r"\\\1", " ".join(str(value).split()))
    # Quotes are harmless in Markdown text (md() output never goes into an attribute), so they stay
    # readable for people who read the file raw; <, > and & become entities.
    return Markup(text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))


def iso(value: Any) -> str:
    """A date as YYYY-MM-DD; text (a date already written out by `records`) passes through."""
    if isinstance(value, date):
        return value.isoformat()
    return value if isinstance(value, str) else ""


def environment(package_folder: str) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("retrogen", package_folder),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(md=md, percent=percent, number=number, iso=iso, signed_change=signed_change)
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
