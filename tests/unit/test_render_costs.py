"""Costs of rendering a page cut without changing a byte of it: a macro drawn once per distinct arguments on a
page (render.once), a dict's item found without the AttributeError Jinja's lookup raises first, and each piece
of a page escaped without being copied into a new Markup (render.escaped)."""

from __future__ import annotations

from datetime import date
from typing import Any

import jinja2
import markupsafe
import pytest

from retrogen.core.status import State
from retrogen.formats.render import environment, escaped

BADGES = (
    "{% macro badge(state, loud=False) %}"
    '{{ drawn(state) }}<b>{{ text[state] }}{{ "!" if loud else "" }}</b>'
    "{% endmacro %}"
    "{% set badge = once(badge) %}"
    '{{ badge("open") }} {{ badge("done") }} {{ badge("open") }} {{ badge("open", loud=True) }} {{ badge("open") }}'
)


def test_a_macro_is_drawn_once_per_distinct_arguments_on_a_page() -> None:
    drawn: list[str] = []
    env = environment("templates/site")
    env.globals["drawn"] = lambda state: drawn.append(state) or ""
    template = env.from_string(BADGES)
    text = {"open": "Open", "done": "Done"}
    assert template.render(text=text) == "<b>Open</b> <b>Done</b> <b>Open</b> <b>Open!</b> <b>Open</b>"
    assert drawn == ["open", "done", "open"]  # the third: with loud=True
    # The next page draws its own: what a macro draws depends on the page (its words, its links).
    chinese = template.render(text={"open": "开放", "done": "完成"})
    assert chinese == "<b>开放</b> <b>完成</b> <b>开放</b> <b>开放!</b> <b>开放</b>"
    assert len(drawn) == 6


class _Row:
    owner = "an attribute"


CASES = [
    ({"owner": "Li"}, "owner"),  # an item
    ({"owner": "Li"}, "missing"),  # neither
    ({"items": "an item named items"}, "items"),  # a dict's method comes first, as in Jinja
    ({"__class__": "x"}, "__class__"),
    (_Row(), "owner"),  # not a dict: an attribute
]


@pytest.mark.parametrize(("value", "name"), CASES)
def test_a_lookup_finds_what_jinja_finds(value: Any, name: str) -> None:
    ours, jinjas = environment("templates/site"), jinja2.Environment(undefined=jinja2.StrictUndefined)
    found = ours.getattr(value, name)
    expected = jinjas.getattr(value, name)
    if isinstance(expected, jinja2.Undefined):
        assert isinstance(found, jinja2.StrictUndefined)
    else:
        assert found == expected


def test_a_dict_s_item_is_found_without_jinja_s_attribute_first_lookup(monkeypatch: pytest.MonkeyPatch) -> None:
    def attribute_first(env: jinja2.Environment, obj: Any, attribute: str) -> Any:
        raise AssertionError(f"{attribute}: looked up as an attribute first")

    template = environment("templates/site").from_string("{{ row.owner }}: {{ text.open }}")
    monkeypatch.setattr(jinja2.Environment, "getattr", attribute_first)
    assert template.render(row={"owner": "Li"}, text={"open": "Open"}) == "Li: Open"


class _Html:
    def __html__(self) -> str:
        return "<b>safe</b>"


VALUES = [
    "plain",
    "销售额 万元",
    "",
    "<script>alert('x')</script>",
    'a "quoted" & <tagged> text',
    "&amp; already an entity",
    markupsafe.Markup("<span>markup</span> &amp;"),
    markupsafe.Markup("x") + "<y>",
    _Html(),
    State.OVERDUE,
    42,
    -9.5,
    None,
    date(2026, 11, 20),
]


@pytest.mark.parametrize("value", VALUES)
def test_a_value_is_escaped_as_markupsafe_escapes_it(value: object) -> None:
    assert str(escaped(value)) == str(markupsafe.escape(value))


def test_an_undefined_value_still_fails() -> None:
    with pytest.raises(jinja2.UndefinedError):
        escaped(jinja2.StrictUndefined(name="missing"))


PAGE = """{% macro cell(v) %}<td>{{ v }}</td>{% endmacro %}
{% set row %}{{ cell(values[3]) }}{{ values[4] | upper }}{% endset %}
{% for v in values %}{{ v }}|{{ cell(v) }}|{{ v ~ "&" }}|{{ [v] | join(",") }}
{% endfor %}{{ row }}{% autoescape false %}{{ values[3] }}{% endautoescape %}{{ values[3] }}"""


def test_a_page_renders_as_jinja_renders_it() -> None:
    """The same bytes as Jinja's own code writes, through macros, set blocks, filters and an autoescape block."""
    values = [v for v in VALUES if v is not None]
    ours = environment("templates/site").from_string(PAGE).render(values=values)
    jinjas = jinja2.Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    assert ours == jinjas.from_string(PAGE).render(values=values)
    assert "&lt;script&gt;" in ours and "<script>alert('x')</script>" in ours  # the autoescape false block


def test_a_page_s_pieces_are_written_through_escaped() -> None:
    code = environment("templates/site").compile("{{ value }}<i>{{ other | upper }}</i>", raw=True)
    assert code.count("environment.escaped(") == 2 and "escape(" not in code.replace("environment.escaped(", "")
