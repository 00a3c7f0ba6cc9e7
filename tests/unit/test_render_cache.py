"""Templates are compiled once a process (render.CompiledTemplates): an edited template is never served from
the code of its earlier source, and every environment still renders with its own filters and globals."""

from __future__ import annotations

import jinja2

from retrogen.formats.render import CompiledTemplates, environment


def test_an_edited_template_is_compiled_again() -> None:
    cache = CompiledTemplates()
    sources = {"page.md.j2": "first {{ value }}"}
    loader = jinja2.FunctionLoader(lambda name: (sources[name], name, lambda: False))

    def rendered() -> str:
        env = jinja2.Environment(loader=loader, bytecode_cache=cache)  # a new environment: a new build
        return env.get_template("page.md.j2").render(value=1)

    assert rendered() == "first 1" and rendered() == "first 1"
    sources["page.md.j2"] = "second {{ value }}"
    assert rendered() == "second 1"


def test_each_environment_renders_with_its_own_globals() -> None:
    """Builds set their own globals (the pages' links): sharing compiled code must not share environments."""
    first, second = environment("templates/site"), environment("templates/site")
    first.globals["build"], second.globals["build"] = "first", "second"
    assert first.get_template("chart.svg.j2").globals["build"] == "first"
    assert second.get_template("chart.svg.j2").globals["build"] == "second"
