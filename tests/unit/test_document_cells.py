"""A Word table's cells written as markupsafe.escape writes them, with a Markup made only of a text that has
something to escape (render.escaped)."""

from __future__ import annotations

import markupsafe
import pytest

from retrogen.formats import documents
from retrogen.formats.documents import Grid, word_table

CELLS = ["销售额", "A1", "", "R&D <team>", 'it\'s "done"', "&amp;"]


@pytest.mark.parametrize("value", [*CELLS, markupsafe.Markup("<b>x</b>"), 42, 9.5])
def test_a_cell_is_written_as_markupsafe_escapes_it(value: object) -> None:
    assert documents.escaped(value) == str(markupsafe.escape(value))


def test_a_cell_with_nothing_to_escape_makes_no_markup(monkeypatch: pytest.MonkeyPatch) -> None:
    escaped: list[object] = []
    escape = markupsafe.escape

    def counted(value: object) -> markupsafe.Markup:
        escaped.append(value)
        return escape(value)

    monkeypatch.setattr(documents.markupsafe, "escape", counted)
    table = word_table(Grid(("#", "措施"), tuple((str(n), text) for n, text in enumerate(CELLS)), (1.0, 15.0)))
    assert escaped == ["R&D <team>", 'it\'s "done"', "&amp;"]
    assert "R&amp;D &lt;team&gt;" in table and "it&#39;s &#34;done&#34;" in table and "&amp;amp;" in table
