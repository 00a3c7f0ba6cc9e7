"""Charts as inline SVG, drawn at build time with no script and no CDN.

Text in an SVG is drawn by the reader's browser with the reader's fonts, so Chinese labels come out right
even when the build machine has no CJK font. Geometry is computed here; the template writes the SVG with
autoescape, so a label from a review stays text.

An SVG with a viewBox scales to the width it is given, and its text scales with it: a chart drawn 680 units
wide shows 13-unit text at 6.8 px on a 358 px phone. So each chart is drawn on two canvases, one for phones
and one for wider screens, each about as wide in units as the content is in pixels where it is shown;
retrogen.css shows the one that fits (below 45em, 720 px, the narrow one). Text is then at least its
canvas's font size in pixels on any screen from a 390 px phone up.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import pairwise
from typing import NamedTuple

import jinja2

from retrogen.formats import numbers
from retrogen.formats.render import environment
from retrogen.formats.tables import width as columns


@dataclass(frozen=True)
class Canvas:
    """A size a chart is drawn at: width and font size in SVG units, and the plot's height."""

    name: str
    width: int
    font: int
    plot_height: int


# Material's content is the window less 32 px below 720 px (288 px on a 320 px phone, 328 on 360, 358 on 390)
# and at least 688 px from a 720 px window up (688 on a 1366 px desktop). One unit is drawn at 1.02 px or more
# on phones from 360 px (1.12 at 390) and 1.01 px or more from 720 px up, so 13-unit text reads at 13 px or
# more (11.7 px on a 320 px phone).
NARROW = Canvas("narrow", 320, 13, 160)
WIDE = Canvas("wide", 680, 13, 210)
MAX_LABEL = 24  # characters of a label before it is cut (with its full text in a tooltip)
GAP = 6

# One meaning per colour on every chart of the site. Series take a colour-blind-safe palette of blue, amber,
# light blue and reddish purple, less Okabe–Ito's vermillion and bluish green: red and green mean missed and
# met on this site, so a series drawn in them would read as a verdict. Each palette keeps its lines at 3:1 or
# more against its background (WCAG's figure for graphics): on white, Okabe–Ito's orange and sky blue were
# 2.3:1, so the light scheme takes deeper tones of the same hues (chosen for the largest difference between
# any two as people with each kind of colour blindness see them); the dark (slate) scheme keeps Okabe–Ito's
# own. The stylesheet sets them per scheme (--rg-s0…); a chart without it is drawn in the light ones. A target
# (or a reference such as 100%) is always grey, thin and dashed, so it never reads as one more series.
SERIES_COLOURS = ("#005DBD", "#C68539", "#1BA2BB", "#B43C7E")
SERIES_COLOURS_DARK = ("#0072B2", "#E69F00", "#56B4E9", "#CC79A7")
TARGET_COLOUR = "#8A8A8A"  # 3.4:1 on Material's white, 5:1 on its slate
TARGET_DASH = "6 4"
TARGET = -1  # the series index of a target or reference line
# Colour alone did not tell lines apart where they run together: three KPIs at 80-87% in one quarter and
# 93-97% in the next were two points each, drawn one on the other until only the top one showed. So each
# series also has a dash of its own (solid, dashed, dotted, dash-dot: the gaps of the one on top show the
# one under it) and a marker of its own shape (circle, square, triangle, diamond: told apart at
# every point, by colour-blind readers too), and the legend's sample shows both. A fifth series takes the first
# colour again with the next dash, so no two of the first sixteen look alike.
SERIES_DASHES = ("none", "8 3", "2 3", "8 3 2 3")
# Markers of one x nearer than this up or down are set side by side this far apart (side_by_side): the widest
# marker (the triangle, 9.4 wide) and a little air.
MARKER_ROOM = 10.0
# The markers' shapes, drawn once a page (site_overrides/main.html: #rg-m0 to #rg-m3) and used by each point:
# a path per point would have added 2.9 MB to a site of 1,000 reviews, whose team and metrics pages draw
# tens of thousands of points.
MARKERS = 4


def series_colour(series: int) -> str:
    return TARGET_COLOUR if series == TARGET else SERIES_COLOURS[series % len(SERIES_COLOURS)]


def series_paint(series: int) -> str:
    """The colour as the chart's inline style gives it: the scheme's own (retrogen.css), else the light one."""
    if series == TARGET:
        return TARGET_COLOUR
    return f"var(--rg-s{series % len(SERIES_COLOURS)},{series_colour(series)})"


def series_dash(series: int) -> str:
    if series == TARGET:
        return TARGET_DASH
    return SERIES_DASHES[(series + series // len(SERIES_COLOURS)) % len(SERIES_DASHES)]


def series_marker(series: int) -> str:
    """The address of the series' marker shape in its page (a target's: the circle)."""
    return f"#rg-m{max(series, 0) % MARKERS}"


class Text(NamedTuple):
    x: float
    y: float
    anchor: str
    text: str
    tip: str = ""  # the full text of a label that was cut
    css: str = ""


@dataclass
class Chart:
    """One chart on one canvas: shapes in SVG units, ready for the template."""

    title: str
    canvas: Canvas
    height: float = 0.0
    lines: list[tuple[int, str, str]] = field(default_factory=list)  # series index (TARGET: target), name, points
    dots: list[tuple[int, float, float, str]] = field(default_factory=list)  # series, x, y, tooltip
    bars: list[tuple[int, float, float, float, float, str]] = field(default_factory=list)  # series, x, y, w, h, tip
    texts: list[Text] = field(default_factory=list)
    grid: list[tuple[float, float, float, float]] = field(default_factory=list)
    legend: list[tuple[int, float, float, list[Text]]] = field(default_factory=list)  # series, swatch x, y, lines

    @property
    def width(self) -> int:
        return self.canvas.width

    def svg(self) -> str:
        return _template().render(
            chart=self, colour=series_paint, dash=series_dash, marker=series_marker, swatch=legend_swatch
        )


@dataclass
class Figure:
    """One chart drawn on every canvas; the page gets them all and the stylesheet shows the one that fits."""

    narrow: Chart
    wide: Chart

    def svg(self) -> str:
        return self.narrow.svg() + self.wide.svg()


@lru_cache(maxsize=1)
def _template() -> jinja2.Template:
    """Compiled once per process: compiling costs a hundred times more than rendering a chart."""
    return environment("templates/site").get_template("chart.svg.j2")


def _plottable(value: float | None) -> float | None:
    """A value as a finite float, or None when it has no place on a chart (missing, NaN, infinite, or an
    integer past float's range)."""
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, OverflowError):  # pandas' NA; an integer of 310 digits
        return None
    return number if math.isfinite(number) else None


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """About `count` evenly spaced ticks covering low..high, spaced 1, 2 or 5 × 10^n, from a multiple of the
    step: 0..3 gives 0, 1, 2, 3; 0..125 gives 0, 50, 100, 150. The step is never below 1 when the range is 1
    or more, so a count axis reads 0, 1, 2 and never 0, 0.5, 1."""
    if not (math.isfinite(low) and math.isfinite(high)):
        low, high = (low, low) if math.isfinite(low) else (0.0, 0.0)
    raw = (high - low) / max(1, count - 1)
    # Equal ends, or ends closer than a normal float can step (0 and 5e-324: log10 of the step would be
    # log10(0)): one unit of axis from the lower end, on which both ends are drawn.
    if not raw >= sys.float_info.min:
        high = low + 1
        raw = 1 / max(1, count - 1)
    if not math.isfinite(raw):  # a range wider than float's: the ends are all that can be shown
        return [low, high]
    magnitude = 10.0 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw * (1 - 1e-9))
    if high - low >= 1:
        step = max(step, 1.0)
    start = math.floor(low / step) * step
    stop = math.ceil(high / step) * step
    if not math.isfinite(stop):  # rounding up past float's limit: the value itself is the top
        stop = high
    digits = max(0, -math.floor(math.log10(step)))
    ticks = [round(start + i * step, digits) for i in range(round((stop - start) / step) + 1)]
    if ticks[-1] < high:  # the last step rounded short of the top
        ticks.append(stop)
    return ticks


def _fmt(value: float, *, percent: bool) -> str:
    shown = value * 100 if percent else value
    if abs(shown) >= 1e15:  # a label of 300 digits fits nowhere
        return f"{shown:.3g}{'%' if percent else ''}"
    return numbers.percent(value) if percent else numbers.number(value)


# The same labels (a funnel's stages, a team's metrics, the periods) are measured and cut on chart after chart,
# a Chinese one character by character: measured once per process (a tenth of the charts' time at 3,000 reviews).
@lru_cache(maxsize=16384)
def text_width(text: str, font: float) -> float:
    """How wide `text` is drawn, a little over rather than under: Latin about 0.6 em, Chinese 1.2 em."""
    return columns(text) * font * 0.6


@lru_cache(maxsize=4096)
def _cut(text: str, limit: float, font: float, characters: int = MAX_LABEL) -> tuple[str, str]:
    """`text` cut with an ellipsis to fit `limit` units and `characters`, and its full text when cut."""
    if text_width(text, font) <= limit and len(text) <= characters:
        return text, ""
    cut = text[:characters]
    while cut and text_width(cut + "…", font) > limit:
        cut = cut[:-1]
    return cut + "…", text


class _Scale(NamedTuple):
    """Values to positions along one axis, with its ticks (values) and their labels."""

    low: float
    high: float
    start: float  # position of `low`
    end: float  # position of `high`
    ticks: list[float]
    labels: list[str]

    def at(self, value: float) -> float:
        # (value - low) / span first: span * position overflows for values near float's limit
        span = self.high - self.low
        share = (value - self.low) / span if span else 0.0
        return self.start + (self.end - self.start) * share


def _scale(values: Sequence[float], start: float, end: float, *, percent: bool) -> _Scale:
    """A scale from 0 (or the lowest value below it) to a tick at or above the highest value. Ticks are
    chosen on the scale people read (percent for rates), so a rate axis reads 0%, 20%, 40%."""
    factor = 100.0 if percent else 1.0
    low = min([*values, 0.0])
    high = max([*values, 0.0])
    ticks = [t / factor for t in nice_ticks(low * factor, high * factor)]
    return _Scale(ticks[0], ticks[-1], start, end, ticks, _tick_labels(ticks, percent=percent))


def _tick_labels(ticks: Sequence[float], *, percent: bool) -> list[str]:
    """The ticks as the tables show numbers, unless that rounds two of them alike (0, 0.005 and 0.01 all
    read '0' with two decimals): then with as many significant digits as tell them apart."""
    labels = [_fmt(t, percent=percent) for t in ticks]
    suffix, factor = ("%", 100.0) if percent else ("", 1.0)
    for digits in range(3, 18):
        if len(set(labels)) == len(labels):
            break
        labels = [f"{t * factor + 0.0:.{digits}g}{suffix}" for t in ticks]
    return labels


def line_chart(
    title: str,
    labels: Sequence[str],
    series: Mapping[str, Sequence[float | None]],
    *,
    percent: bool = False,
    reference: float | None = None,
    target: tuple[str, Sequence[float | None]] | None = None,
) -> Figure:
    """One line per series over categorical x labels (periods, weeks); missing values break nothing, they are
    skipped. `reference` draws a target line across at that value (100% for achievement), `target` a named
    target per label (a KPI's 目标值), both in the target's style."""
    plotted = {name: [_plottable(v) for v in points] for name, points in series.items()}
    goal = (target[0], [_plottable(v) for v in target[1]]) if target else None
    return Figure(
        *(_line(canvas, title, labels, plotted, reference, goal, percent=percent) for canvas in (NARROW, WIDE))
    )


def _line(
    canvas: Canvas,
    title: str,
    labels: Sequence[str],
    plotted: Mapping[str, Sequence[float | None]],
    reference: float | None,
    target: tuple[str, Sequence[float | None]] | None,
    *,
    percent: bool,
) -> Chart:
    chart, font = Chart(title, canvas), canvas.font
    drawn = [(index, name, points) for index, (name, points) in enumerate(plotted.items())]
    if target:
        drawn.append((TARGET, *target))
    values = [v for _, _, points in drawn for v in points if v is not None]
    top, bottom = font, font + canvas.plot_height
    y = _scale([*values, *([reference] if reference is not None else [])], bottom, top, percent=percent)
    left = max(text_width(label, font) for label in y.labels) + 2 * GAP
    right = canvas.width - GAP
    for value, label in zip(y.ticks, y.labels, strict=True):
        position = y.at(value)
        chart.grid.append((left, position, right, position))
        chart.texts.append(Text(left - GAP, position + font * 0.35, "end", label, css="rg-tick"))
    plot_w = right - left
    step = plot_w / max(1, len(labels) - 1)
    xs = [left + (step * i if len(labels) > 1 else plot_w / 2) for i in range(len(labels))]
    if reference is not None:
        position = y.at(reference)
        chart.lines.append((TARGET, "reference", f"{left:.1f},{position:.1f} {right:.1f},{position:.1f}"))
    for index, name, points in drawn:
        coords = [(x, y.at(v), v, label) for x, v, label in zip(xs, points, labels, strict=True) if v is not None]
        chart.lines.append((index, name, " ".join(f"{x:.1f},{py:.1f}" for x, py, _, _ in coords)))
        for x, py, v, label in coords:
            chart.dots.append((index, x, py, f"{name} · {label}: {_fmt(v, percent=percent)}"))
    chart.dots = side_by_side(chart.dots, left, right)
    # 1.6 em down: a label running left under the axis clears the lowest tick label
    below = _x_labels(chart, labels, xs, bottom + font * 1.6 + 2)
    named = [(index, name) for index, name, _ in drawn]
    chart.height = _legend(chart, named if len(named) > 1 else [], left, below + GAP)
    return chart


def side_by_side(
    dots: Sequence[tuple[int, float, float, str]], left: float, right: float
) -> list[tuple[int, float, float, str]]:
    """The dots (series, x, y, tooltip) with those of one x that would cover each other (less than
    MARKER_ROOM apart up or down, one after another) set side by side, MARKER_ROOM apart in series order,
    centred on their x and within left..right. Each keeps its height: its value still reads off the axis, and
    its line still ends at its point, a few units away; what changes is that every series' marker shows."""
    placed = list(dots)
    by_x: dict[float, list[int]] = {}
    for number, (_, x, _, _) in enumerate(dots):
        by_x.setdefault(x, []).append(number)
    for x, numbers_at_x in by_x.items():
        upward = sorted(numbers_at_x, key=lambda number: dots[number][2])
        clusters = [[upward[0]]]
        for before, number in pairwise(upward):
            if dots[number][2] - dots[before][2] < MARKER_ROOM:
                clusters[-1].append(number)
            else:
                clusters.append([number])
        for cluster in clusters:
            span = MARKER_ROOM * (len(cluster) - 1)
            start = max(left, min(x - span / 2, right - span))
            for place, number in enumerate(sorted(cluster, key=lambda number: dots[number][0])):
                series, _, y, tip = dots[number]
                placed[number] = (series, start + MARKER_ROOM * place if len(cluster) > 1 else x, y, tip)
    return placed


def _x_labels(chart: Chart, labels: Sequence[str], xs: Sequence[float], baseline: float) -> float:
    """Category labels under the plot, horizontal: long ones cut (full text in a tooltip), and only every
    n-th shown (always the latest), the smallest n for which no two overlap. Returns the y below them."""
    font = chart.canvas.font
    placed = []
    for label, x in zip(labels, xs, strict=True):
        text, tip = _cut(label, max(font * 4.0, chart.width / 3), font)
        width = text_width(text, font)
        left = min(max(0.0, x - width / 2), chart.width - width)  # the ends stay on the canvas
        placed.append((left, width, Text(left, baseline, "start", text, tip)))
    last = len(placed) - 1
    for every in range(1, len(placed) + 1):
        shown = [placed[i] for i in range(last, -1, -every)][::-1]
        if all(a[0] + a[1] + font <= b[0] for a, b in pairwise(shown)):
            chart.texts.extend(text for _, _, text in shown)
            break
    return baseline + font * 0.4


def _wrap(text: str, limit: float, font: float) -> list[str]:
    """`text` in lines no wider than `limit`: broken between words, and inside a word (or a run of Chinese,
    which has no spaces) only where the word alone is wider than a line."""
    lines: list[str] = []
    line = ""
    for word in text.split(" "):
        joined = f"{line} {word}" if line else word
        if text_width(joined, font) <= limit:
            line = joined
            continue
        if line:
            lines.append(line)
        line = ""
        for character in word:
            if line and text_width(line + character, font) > limit:
                lines.append(line)
                line = ""
            line += character
    return [*lines, line] if line or not lines else lines


def legend_swatch(font: float) -> float:
    """How long a legend's sample of its line is: room for a stretch of its dash on each side of its marker."""
    return font * 2


def _legend(chart: Chart, names: Sequence[tuple[int, str]], left: float, top: float) -> float:
    """Series names (with their series index) in rows under the chart, wrapped to its width: a name is never
    cut, a long one takes more than one line. Returns the chart's height."""
    font = chart.canvas.font
    swatch = legend_swatch(font)
    line_height = font * 1.2
    x, y, row_height = left, top, 0.0
    for index, name in names:
        lines = _wrap(name, chart.width - left - swatch - GAP, font)
        needed = swatch + GAP + max(text_width(line, font) for line in lines)
        if x > left and x + needed > chart.width:
            x, y, row_height = left, y + row_height + GAP, 0.0
        texts = [
            Text(x + swatch + GAP, y + font * 0.85 + n * line_height, "start", line, css="rg-legend")
            for n, line in enumerate(lines)
        ]
        chart.legend.append((index, x, y, texts))
        row_height = max(row_height, font + (len(lines) - 1) * line_height)
        x += needed + 2 * GAP
    return y + row_height + 2 * GAP if names else top + GAP


def bar_chart(
    title: str,
    labels: Sequence[str],
    values: Sequence[float | None],
    *,
    percent: bool = False,
    notes: Sequence[str] | None = None,
) -> Figure:
    """Horizontal bars, one per label, each with its label above it (room for a review's title on a phone)
    and its value at its end; `notes` add a word after each value (a conversion, a cumulative share)."""
    lengths = [_plottable(v) for v in values]
    return Figure(*(_bars(canvas, title, labels, lengths, notes, percent=percent) for canvas in (NARROW, WIDE)))


def _bars(
    canvas: Canvas,
    title: str,
    labels: Sequence[str],
    lengths: Sequence[float | None],
    notes: Sequence[str] | None,
    *,
    percent: bool,
) -> Chart:
    chart, font = Chart(title, canvas), canvas.font
    shown = [v for v in lengths if v is not None]
    values = [
        ("" if v is None else _fmt(v, percent=percent)) + (f" · {n}" if n else "")
        for v, n in zip(lengths, notes or [""] * len(lengths), strict=True)
    ]
    left = GAP
    right = canvas.width - max((text_width(v, font) for v in values), default=0.0) - 2 * GAP
    x = _scale(shown, left, max(right, canvas.width / 2), percent=percent)
    bar_h, row_h = font * 1.3, font * 2.7 + 1.5 * GAP
    bottom = font * 0.5 + row_h * len(labels)
    for tick in x.ticks:
        chart.grid.append((x.at(tick), font * 0.2, x.at(tick), bottom))
    for index, (label, value, text) in enumerate(zip(labels, lengths, values, strict=True)):
        top = font * 0.5 + row_h * index
        name, tip = _cut(label, canvas.width - 2 * GAP, font, characters=len(label))  # a bar's label has a line
        chart.texts.append(Text(left, top + font, "start", name, tip))
        if value is None:
            continue  # no bar for what cannot be drawn; the table under the chart has the number
        zero, end = x.at(0.0), x.at(value)
        bar_top = top + font + GAP
        chart.bars.append((0, min(zero, end), bar_top, abs(end - zero), bar_h, f"{label}: {text}"))
        chart.texts.append(Text(max(zero, end) + GAP, bar_top + bar_h * 0.75, "start", text, css="rg-value"))
    spacing = (x.end - x.start) / max(1, len(x.ticks) - 1)
    every = max(1, math.ceil((max(text_width(label, font) for label in x.labels) + font) / spacing))
    for index, (tick, label) in enumerate(zip(x.ticks, x.labels, strict=True)):
        if index % every:
            continue
        anchor = "start" if index == 0 else "end" if index == len(x.ticks) - 1 else "middle"
        chart.texts.append(Text(x.at(tick), bottom + font + GAP / 2, anchor, label))
    chart.height = bottom + font * 1.6 + GAP
    return chart


@dataclass
class Sparkline:
    """A trend small enough for a table cell: the line of `values` scaled to their own range, the latest
    point marked; `label` is its text alternative (every value, for a screen reader and as a tooltip)."""

    label: str
    width: int
    height: int
    lines: list[str] = field(default_factory=list)  # points of each unbroken run of values
    last: tuple[float, float] | None = None

    def svg(self) -> str:
        return _sparkline_template().render(spark=self).strip()  # one line, to sit inside a table's cell


@lru_cache(maxsize=1)
def _sparkline_template() -> jinja2.Template:
    return environment("templates/site").get_template("sparkline.svg.j2")


def sparkline(
    title: str, labels: Sequence[str], values: Sequence[float | None], width: int = 96, height: int = 28
) -> Sparkline:
    """The trend of `values` (one per label, None where not reported) from the lowest to the highest of
    them, so a small change shows; a gap breaks the line."""
    plotted = [_plottable(v) for v in values]
    shown = [v for v in plotted if v is not None]
    pad = 4.0
    label = f"{title}: " + ", ".join(
        f"{name} {numbers.number(v) if v is not None else '–'}" for name, v in zip(labels, plotted, strict=True)
    )
    spark = Sparkline(label, width, height)
    if not shown:
        return spark
    low, high = min(shown), max(shown)
    step = (width - 2 * pad) / max(1, len(plotted) - 1)
    runs: list[list[tuple[float, float]]] = [[]]
    for index, value in enumerate(plotted):
        if value is None:
            runs.append([])
            continue
        share = (value - low) / (high - low) if high > low else 0.5
        point = (pad + step * index if len(plotted) > 1 else width / 2, height - pad - share * (height - 2 * pad))
        runs[-1].append(point)
        spark.last = point
    spark.lines = [" ".join(f"{x:.1f},{y:.1f}" for x, y in run) for run in runs if len(run) > 1]
    return spark
