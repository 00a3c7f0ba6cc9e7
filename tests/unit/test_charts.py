"""Chart geometry: nice whole-number ticks, text that holds its size, labels that neither overlap nor run off."""

from __future__ import annotations

import colorsys
import math
import re
from itertools import pairwise
from pathlib import Path

import pytest

from retrogen.site import charts
from retrogen.site.charts import NARROW, WIDE, Canvas, Chart, Figure, Text, bar_chart, line_chart, nice_ticks


@pytest.mark.parametrize(
    ("low", "high", "ticks"),
    [
        (0, 3, [0, 1, 2, 3]),  # a count axis: never 0, 0.5, 1
        (0, 62.5, [0, 20, 40, 60, 80]),  # was 0, 62.5, 125 (the top rounded to 2.5 × 10^n)
        (0, 125, [0, 50, 100, 150]),
        (0, 240, [0, 100, 200, 300]),
        (-3, 7, [-5, 0, 5, 10]),
        (0, 0, [0, 1]),
        (0, 0.35, [0, 0.1, 0.2, 0.3, 0.4]),  # below 1 the step may be a fraction: there is no whole number
    ],
)
def test_ticks_are_1_2_or_5_times_a_power_of_ten(low: float, high: float, ticks: list[float]) -> None:
    assert nice_ticks(low, high) == ticks


@pytest.mark.parametrize("high", [1, 2.5, 7, 13, 62.5, 99, 101, 1234, 98765])
def test_ticks_from_one_up_are_whole_numbers_covering_the_range(high: float) -> None:
    ticks = nice_ticks(0, high)
    assert all(t == int(t) for t in ticks) and ticks[0] == 0 and ticks[-1] >= high
    steps = {b - a for a, b in pairwise(ticks)}
    assert len(steps) == 1 and re.fullmatch(r"[125]0*", str(int(steps.pop())))
    assert 2 <= len(ticks) <= 6


def test_a_rate_axis_reads_whole_percents() -> None:
    chart = line_chart("t", ["2026-Q1", "2026-Q2"], {"s": [0.625, 1.0833]}, percent=True, reference=1.0).wide
    assert [t.text for t in chart.texts if t.anchor == "end" and t.text.endswith("%")] == ["0%", "50%", "100%", "150%"]


# Material's content is 328 px wide on a 360 px phone, 358 px on a 390 px phone and 688 px on a 1366 px desktop
# (and from 720 px up, where the stylesheet switches to the wide drawing).
@pytest.mark.parametrize(("canvas", "content"), [(NARROW, 328), (NARROW, 358), (WIDE, 688)])
def test_text_is_at_least_12_px_where_each_canvas_is_shown(canvas: Canvas, content: int) -> None:
    assert canvas.font * content / canvas.width >= 12


def _boxes(chart: Chart) -> list[tuple[float, float, float, float, str]]:
    font = chart.canvas.font
    texts = [*chart.texts, *(t for *_, lines in chart.legend for t in lines)]
    boxes = []
    for t in texts:
        w = charts.text_width(t.text, font)
        left = t.x - (w if t.anchor == "end" else w / 2 if t.anchor == "middle" else 0)
        boxes.append((left, t.y - font * 0.8, left + w, t.y + font * 0.2, t.text))
    return boxes


def _overlaps(chart: Chart) -> list[tuple[str, str]]:
    boxes = _boxes(chart)
    return [
        (a[4], b[4])
        for i, a in enumerate(boxes)
        for b in boxes[i + 1 :]
        if a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
    ]


MANY_WEEKS = [f"2026-{m:02d}-{d:02d}" for m in range(1, 7) for d in (1, 8, 15, 22)]
TITLES = [
    "2026年Q3华东区销售业绩复盘",
    "Discovery skills of the APAC inside sales team and how we coach them",
    "Q3 2026 EMEA enterprise sales review",
]


@pytest.mark.parametrize(
    "figure",
    [
        line_chart("t", MANY_WEEKS, {"open": list(range(24)), "overdue": [3] * 24, "done": [10.5] * 24}),
        line_chart(
            "t",
            ["2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3", "2026-10"],
            {
                name: [0.9, 1.02, 0.93, 0.76, 0.89]
                for name in ("销售额", "新客户数量", "老客户复购率", "平均跟进周期", "A very long metric name indeed")
            },
            percent=True,
            reference=1.0,
        ),
        bar_chart("t", TITLES, [12_000_000, 3, 0.5], notes=["100%", "", "累计占比 90.9%"]),
        bar_chart("t", ["线索", "商机", "订单"], [240, 48, 12], notes=["", "20%", "25%"]),
        line_chart("t", ["2026-Q1", "2026-Q2"], {name: [1.0, 2.0] for name in (*TITLES, "平均跟进周期" * 8)}),
    ],
    ids=["weeks", "achievement", "titles", "funnel", "long-legend"],
)
def test_no_text_overlaps_or_leaves_the_canvas(figure: Figure) -> None:
    for chart in (figure.narrow, figure.wide):
        assert _overlaps(chart) == []
        for left, _, right, _, text in _boxes(chart):
            assert left >= -0.5 and right <= chart.width + 0.5, (chart.canvas.name, text)


def test_many_period_labels_are_thinned_from_the_latest() -> None:
    chart = line_chart("t", MANY_WEEKS, {"s": list(range(24))}).narrow
    shown = [t.text for t in chart.texts if t.text in MANY_WEEKS]
    assert shown[-1] == MANY_WEEKS[-1] and 2 <= len(shown) < len(MANY_WEEKS)


def test_bars_carry_their_value_and_a_cut_label_keeps_its_full_text() -> None:
    chart = bar_chart("t", TITLES, [5, 3, 1], notes=["50%", "", ""]).narrow
    values = [t.text for t in chart.texts if t.css == "rg-value"]
    assert values == ["5 · 50%", "3", "1"]
    long = next(t for t in chart.texts if t.tip == TITLES[1])
    assert long.text.endswith("…") and charts.text_width(long.text, NARROW.font) <= NARROW.width
    assert next(t for t in chart.texts if t.text == TITLES[0]).tip == ""  # a title that fits is whole


@pytest.mark.parametrize(
    "name", [TITLES[1], "First calls with a business problem identified", "平均跟进周期" * 8, "x" * 120]
)
def test_a_legend_label_is_wrapped_whole_within_the_chart(name: str) -> None:
    figure = line_chart("t", ["2026-Q1", "2026-Q2"], {name: [1.0, 2.0], "Win rate": [0.5, 0.6]})
    for chart in (figure.narrow, figure.wide):
        lines = next(lines for _, _, _, lines in chart.legend if lines[0].text[:8] == name[:8])
        joined = "".join(t.text for t in lines) if name.count(" ") == 0 else " ".join(t.text for t in lines)
        assert joined == name and not any(t.tip for t in lines)  # nothing cut, nothing left to a tooltip
        for t in lines:
            assert t.x + charts.text_width(t.text, chart.canvas.font) <= chart.width, (chart.canvas.name, t.text)
        assert lines[-1].y + chart.canvas.font * 0.2 <= chart.height


def test_the_svg_is_accessible_and_takes_the_full_width() -> None:
    svg = bar_chart("漏斗 <b>", ["a"], [1]).svg()
    assert svg.count("<svg ") == 2 and 'class="rg-chart rg-chart-narrow"' in svg and "rg-chart-wide" in svg
    for tag in re.findall(r"<svg [^>]*>", svg):
        assert 'role="img"' in tag and 'aria-label="漏斗 &lt;b&gt;"' in tag and 'width="100%"' in tag
        assert re.search(r'viewBox="0 0 \d+ \d+"', tag) and "font-size:13px" in tag
    assert svg.count("<title>漏斗 &lt;b&gt;</title>") == 2


def test_a_cut_label_is_a_text_with_a_title_in_the_svg() -> None:
    chart = Chart("t", NARROW, height=20, texts=[Text(0, 10, "start", "short…", "short and long")])
    assert '<text x="0.0" y="10.0" text-anchor="start">short…<title>short and long</title></text>' in chart.svg()


# Values the schema admits (numbers within ±10^15, floats included) that once broke the axis: 5e-324 beside 0
# made the tick step underflow to 0 and log10(0) stopped `build` (issue 22).
ADMITTED = [
    [0.0, 5e-324],
    [5e-324],
    [-5e-324],
    [0.0, -5e-324, 5e-324],
    [1e-320, 3e-320],
    [2.2250738585072014e-308],
    [0.0],
    [0.0, 0.0],
    [7.0, 7.0],
    [-3.0, -3.0],
    [-1e15, 1e15],
    [1e15],
    [-1e15],
    [1e15, 1e15 - 0.125],
    [1e-7, 2e-7],
    [-0.0],
    [0.004, 0.005],
]


def _finite_shapes(chart: Chart) -> list[float]:
    numbers = [chart.height, *(v for g in chart.grid for v in g), *(v for d in chart.dots for v in d[1:3])]
    numbers += [v for b in chart.bars for v in b[1:5]] + [v for t in chart.texts for v in t[:2]]
    numbers += [float(n) for _, _, points in chart.lines for n in re.split(r"[ ,]", points) if n]
    return numbers


@pytest.mark.parametrize("values", ADMITTED, ids=str)
@pytest.mark.parametrize("percent", [False, True])
def test_any_value_the_schema_admits_is_drawn(values: list[float], percent: bool) -> None:
    labels = [f"2026-Q{i + 1}" for i in range(len(values))]
    figures = [
        (line_chart("t", labels, {"a": values, "b": values[::-1]}, percent=percent), 2 * len(values)),
        (line_chart("t", labels, {"a": values}, percent=percent, reference=1.0), len(values)),
        (bar_chart("t", labels, values, percent=percent), len(values)),
    ]
    for figure, marks in figures:
        for chart in (figure.narrow, figure.wide):
            shapes = _finite_shapes(chart)
            assert all(math.isfinite(n) for n in shapes), (chart.canvas.name, shapes)
            assert len(chart.dots) + len(chart.bars) == marks  # every value is drawn
    labels = charts._scale(values, 0, 100, percent=percent).labels
    assert len(labels) == len(set(labels)) >= 2, labels  # no two ticks read alike


@pytest.mark.parametrize(
    ("low", "high"),
    [
        (0.0, 5e-324),
        (-5e-324, 0.0),
        (5e-324, 5e-324),
        (0.0, 0.0),
        (7.0, 7.0),
        (-1e15, -1e15),
        (1e-320, 3e-320),
        (-1e15, 1e15),
    ],
)
def test_ticks_cover_any_range_the_schema_admits(low: float, high: float) -> None:
    ticks = nice_ticks(low, high)
    assert len(ticks) >= 2 and ticks[0] <= low and ticks[-1] >= high and ticks == sorted(set(ticks))
    assert all(math.isfinite(t) for t in ticks)


def test_ticks_that_two_decimals_would_read_alike_keep_the_digits_that_tell_them_apart() -> None:
    chart = line_chart("t", ["a", "b"], {"s": [0.0, 3e-7]}).wide
    assert [t.text for t in chart.texts if t.anchor == "end"] == ["0", "1e-07", "2e-07", "3e-07"]


# --- one meaning per colour (issue 18) ------------------------------------------------------------------------

_STYLE = re.compile(r'<(polyline|use|rect|line) class="([^"]*)" style="([^"]*)"')


def _styles(svg: str) -> list[tuple[str, str, dict[str, str]]]:
    """Each coloured shape of an SVG: its tag, its class and its inline style as a dict."""
    return [
        (tag, css, dict(part.split(":", 1) for part in style.split(";") if part))
        for tag, css, style in _STYLE.findall(svg)
    ]


def _hue(colour: str) -> float:
    red, green, blue = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    high, low = max(red, green, blue), min(red, green, blue)
    if high == low:
        return -1.0  # a grey has no hue
    if high == red:
        return 60 * ((green - blue) / (high - low)) % 360
    if high == green:
        return 60 * ((blue - red) / (high - low) + 2)
    return 60 * ((red - green) / (high - low) + 4)


_EVERY_KIND = {
    "target per period": line_chart("t", ["Q1", "Q2"], {"actual": [1, 2]}, target=("目标值", [2, 2])),
    "reference line": line_chart("t", ["Q1", "Q2"], {"a": [0.5, 1.2], "b": [1, 0.9]}, percent=True, reference=1.0),
    "series only": line_chart("t", ["W1", "W2"], {f"s{i}": [i, i + 1] for i in range(9)}),
    "bars": bar_chart("t", ["a", "b"], [1, 2]),
}


@pytest.mark.parametrize("figure", _EVERY_KIND.values(), ids=list(_EVERY_KIND))
def test_a_target_is_grey_and_dashed_and_no_series_shares_its_style(figure: Figure) -> None:
    shapes = _styles(figure.svg())
    targets = [style for _, css, style in shapes if "rg-reference" in css or "rg-target" in css]
    series = [style for _, css, style in shapes if "rg-reference" not in css and "rg-target" not in css]
    for style in targets:
        assert style.get("stroke", style.get("fill")) == charts.TARGET_COLOUR
        assert "fill" in style or style["stroke-dasharray"] == charts.TARGET_DASH
    assert series and all(charts.TARGET_COLOUR not in style.values() for style in series)


def test_the_target_of_a_kpi_is_a_target_not_one_more_series() -> None:
    svg = line_chart("新客户数量", ["Q1", "Q2"], {"实际值": [3, 5]}, target=("目标值", [4, 4])).wide.svg()
    target = [style for _, css, style in _styles(svg) if "rg-reference" in css and "stroke" in style]
    assert len(target) == 1 and target[0]["stroke-dasharray"] == charts.TARGET_DASH
    assert "目标值 · Q1: 4" in svg  # its points keep their tooltips
    assert ">目标值</text>" in svg and ">实际值</text>" in svg  # and the legend names both


def test_the_same_series_index_has_the_same_colour_in_every_chart() -> None:
    figures = [line_chart("t", ["Q1", "Q2"], {"新客户数量": [1, 2], "订单": [2, 3]}), bar_chart("t", ["a"], [1])]
    first = {
        css: style.get("stroke", style.get("fill"))
        for figure in figures
        for _, css, style in _styles(figure.svg())
        if css.endswith("rg-s0")
    }
    assert set(first.values()) == {f"var(--rg-s0,{charts.SERIES_COLOURS[0]})"}


def _luminance(colour: str) -> float:
    """WCAG's relative luminance of #RRGGBB."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(one: str, other: str) -> float:
    darker, lighter = sorted((_luminance(one), _luminance(other)))
    return (lighter + 0.05) / (darker + 0.05)


# Material's page backgrounds: white, and slate's hsl(225deg 15% 14%).
WHITE = "#FFFFFF"
SLATE = "#" + "".join(f"{round(c * 255):02X}" for c in colorsys.hls_to_rgb(225 / 360, 0.14, 0.15))


@pytest.mark.parametrize(
    ("palette", "background"), [(charts.SERIES_COLOURS, WHITE), (charts.SERIES_COLOURS_DARK, SLATE)]
)
def test_every_series_colour_stands_out_3_to_1_from_its_schemes_background(
    palette: tuple[str, ...], background: str
) -> None:
    """WCAG 2.1's 1.4.11: a line or a dot that carries meaning at 3:1 or more against what is behind it. On
    white, Okabe–Ito's orange and sky blue were 2.3:1."""
    assert SLATE == "#1E2129"
    for colour in palette:
        assert _contrast(colour, background) >= 3.0, (colour, background, round(_contrast(colour, background), 2))
    assert _contrast(charts.TARGET_COLOUR, WHITE) >= 3.0 and _contrast(charts.TARGET_COLOUR, SLATE) >= 3.0


def test_the_stylesheet_sets_the_series_colours_of_each_scheme() -> None:
    css = (Path(__file__).parents[2] / "site_overrides/assets/retrogen.css").read_text(encoding="utf-8")
    light, dark = css.split('[data-md-color-scheme="slate"]', 1)
    for block, palette in ((light, charts.SERIES_COLOURS), (dark.split("}", 1)[0], charts.SERIES_COLOURS_DARK)):
        found = dict(re.findall(r"--rg-s(\d): (#\w+);", block))
        assert found == {str(i): colour for i, colour in enumerate(palette)}


@pytest.mark.parametrize("palette", [charts.SERIES_COLOURS, charts.SERIES_COLOURS_DARK])
def test_each_palette_is_neither_red_nor_green(palette: tuple[str, ...]) -> None:
    for colour in palette:
        hue = _hue(colour)
        assert not (hue < 25 or hue > 335 or 75 < hue < 165), colour


def test_no_series_colour_is_red_or_green_which_mean_missed_and_met() -> None:
    from retrogen.formats.documents import BAR_FILLS

    css = (Path(__file__).parents[2] / "site_overrides/assets/retrogen.css").read_text(encoding="utf-8")
    verdicts = {f"#{BAR_FILLS['red']}", f"#{BAR_FILLS['green']}", *re.findall(r"--rg-(?:good|bad)-fg: (#\w+)", css)}
    drawn = {charts.series_colour(index) for index in range(12)}
    assert not {c.lower() for c in drawn} & {c.lower() for c in verdicts}
    for colour in drawn:  # nor close to them: hue of red 0±25°, of green 75–165°
        hue = _hue(colour)
        assert not (hue < 25 or hue > 335 or 75 < hue < 165), colour
    assert len(set(charts.SERIES_COLOURS)) == len(charts.SERIES_COLOURS)
    # past the palette a series is told apart by its dash, never by a repeated look
    looks = {(charts.series_colour(i), charts.series_dash(i)) for i in range(8)}
    assert len(looks) == 8


# --- lines that run together (issue 18: "two-point lines on the metrics page overlap until one is hidden") -----


def test_markers_that_would_cover_each_other_stand_side_by_side_at_their_own_heights() -> None:
    room = charts.MARKER_ROOM
    dots = [(0, 100.0, 50.0, "a"), (1, 100.0, 52.0, "b"), (2, 100.0, 90.0, "c"), (3, 200.0, 51.0, "d")]
    placed = charts.side_by_side(dots, left=10.0, right=300.0)
    assert [(s, y, tip) for s, _, y, tip in placed] == [(s, y, tip) for s, _, y, tip in dots]  # heights kept
    assert [x for _, x, _, _ in placed] == [100.0 - room / 2, 100.0 + room / 2, 100.0, 200.0]


def test_a_cluster_at_the_plots_edge_stays_inside_it_in_series_order() -> None:
    room = charts.MARKER_ROOM
    # three series at the last x, each within a marker of the next (a chain: 1 and 3 are 9 apart)
    dots = [(2, 300.0, 60.0, "c"), (0, 300.0, 64.5, "a"), (1, 300.0, 69.0, "b")]
    placed = charts.side_by_side(dots, left=10.0, right=300.0)
    xs = {series: x for series, x, _, _ in placed}
    assert xs == {0: 300.0 - 2 * room, 1: 300.0 - room, 2: 300.0}


def test_the_lines_of_the_metrics_page_are_drawn_with_a_marker_and_dash_each() -> None:
    kpis = {"New bookings": [0.82, 0.953], "Win rate": [0.80, 0.967], "Sales cycle": [0.867, 0.94]}
    svg = line_chart("EMEA", ["2026-Q2", "2026-Q3"], kpis, percent=True, reference=1.0).wide.svg()
    dots = re.findall(r'<use class="rg-s(\d)" [^>]*href="#rg-m(\d)" x="([\d.]+)"', svg)
    assert {series: shape for series, shape, _ in dots} == {"0": "0", "1": "1", "2": "2"}
    at_q3 = sorted(float(x) for _, _, x in dots[1::2])
    assert all(b - a >= charts.MARKER_ROOM for a, b in pairwise(at_q3))  # none on another
    dashes = re.findall(r'<polyline class="rg-line rg-s\d" style="[^"]*stroke-dasharray:([^";]+)', svg)
    assert dashes == list(charts.SERIES_DASHES[:3])
    # the legend: a stretch of each line with its marker
    keys = re.findall(r'<use class="rg-key rg-s(\d)" [^>]*href="#rg-m(\d)"', svg)
    assert keys == [("0", "0"), ("1", "1"), ("2", "2")]


def test_every_marker_a_chart_uses_is_drawn_in_the_page() -> None:
    main = (Path(__file__).parents[2] / "site_overrides/main.html").read_text(encoding="utf-8")
    shapes = dict(re.findall(r'<path id="rg-m(\d)" d="([^"]+)"/>', main))
    assert set(shapes) == {str(i) for i in range(charts.MARKERS)} and len(set(shapes.values())) == charts.MARKERS
    used = {charts.series_marker(series) for series in range(charts.TARGET, 3 * charts.MARKERS)}
    assert used == {f"#rg-m{i}" for i in range(charts.MARKERS)}
