"""Charts as inline SVG, drawn at build time with no script and no CDN.

Text in an SVG is drawn by the reader's browser with the reader's fonts, so Chinese labels come out right
even when the build machine has no CJK font. Geometry is computed here; the template writes the SVG with
autoescape, so a label from a review stays text.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import jinja2

from retrogen import numbers
from retrogen.render import environment

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 56, 48, 16, 56


@dataclass
class Chart:
    title: str
    width: int = WIDTH
    height: int = HEIGHT
    lines: list[tuple[int, str, str]] = field(default_factory=list)  # series index, name, points
    dots: list[tuple[int, float, float, str]] = field(default_factory=list)  # series, x, y, tooltip
    bars: list[tuple[int, float, float, float, float, str]] = field(default_factory=list)  # series, x, y, w, h, tip
    texts: list[tuple[float, float, str, str]] = field(default_factory=list)  # x, y, anchor, text
    grid: list[tuple[float, float, float, float]] = field(default_factory=list)
    legend: list[tuple[int, str]] = field(default_factory=list)

    def svg(self) -> str:
        return _template().render(chart=self)


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


def _nice_max(value: float) -> float:
    if value <= 0 or not math.isfinite(value):
        return 1.0
    magnitude = 10.0 ** math.floor(math.log10(value))
    for step in (1.0, 2.0, 2.5, 5.0, 10.0):
        top = step * magnitude
        if top >= value:
            break
    # Near float's limit the rounded-up top is infinite: then the value itself is the top.
    return top if math.isfinite(top) else value


def _fmt(value: float, percent: bool) -> str:
    shown = value * 100 if percent else value
    if abs(shown) >= 1e15:  # a label of 300 digits fits nowhere
        return f"{shown:.3g}{'%' if percent else ''}"
    return numbers.percent(value) if percent else numbers.number(value)


def _axis(chart: Chart, top_value: float, percent: bool) -> None:
    plot_h = chart.height - TOP - BOTTOM
    for i in range(5):
        value = top_value * (i / 4)  # top_value * 3 may overflow
        y = chart.height - BOTTOM - plot_h * i / 4
        chart.grid.append((LEFT, y, chart.width - RIGHT, y))
        chart.texts.append((LEFT - 6, y + 4, "end", _fmt(value, percent)))


def _x_labels(chart: Chart, labels: Sequence[str], xs: Sequence[float]) -> None:
    every = max(1, math.ceil(len(labels) / 8))  # at most eight labels fit under a chart
    for index, (label, x) in enumerate(zip(labels, xs, strict=True)):
        if index % every == 0 or index == len(labels) - 1:
            short = label if len(label) <= 14 else label[:13] + "…"
            chart.texts.append((x, chart.height - BOTTOM + 18, "middle", short))


def line_chart(title: str, labels: Sequence[str], series: Mapping[str, Sequence[float | None]],
               percent: bool = False, reference: float | None = None) -> Chart:
    """One line per series over categorical x labels; missing values break nothing, they are skipped."""
    chart = Chart(title)
    plotted = {name: [_plottable(v) for v in points] for name, points in series.items()}
    values = [v for points in plotted.values() for v in points if v is not None]
    top = _nice_max(max([*values, reference or 0, 0.0001]))
    plot_w, plot_h = chart.width - LEFT - RIGHT, chart.height - TOP - BOTTOM
    step = plot_w / max(1, len(labels) - 1)
    xs = [LEFT + (step * i if len(labels) > 1 else plot_w / 2) for i in range(len(labels))]
    _axis(chart, top, percent)
    if reference is not None:
        y = chart.height - BOTTOM - plot_h * (reference / top)
        chart.lines.append((-1, "reference", f"{LEFT},{y:.1f} {chart.width - RIGHT},{y:.1f}"))
    for index, (name, points) in enumerate(plotted.items()):
        # value / top first: plot_h * value overflows for values near float's limit
        coords = [(x, chart.height - BOTTOM - plot_h * (v / top), v, label)
                  for x, v, label in zip(xs, points, labels, strict=True) if v is not None]
        chart.lines.append((index % 6, name, " ".join(f"{x:.1f},{y:.1f}" for x, y, _, _ in coords)))
        for x, y, v, label in coords:
            chart.dots.append((index % 6, x, y, f"{name} · {label}: {_fmt(v, percent)}"))
        chart.legend.append((index % 6, name))
    _x_labels(chart, labels, xs)
    return chart


def bar_chart(title: str, labels: Sequence[str], values: Sequence[float], percent: bool = False,
              cumulative: Sequence[float] | None = None) -> Chart:
    """Vertical bars; with `cumulative` (fractions), a Pareto line over them on a 0-100% scale."""
    chart = Chart(title)
    heights = [_plottable(v) for v in values]
    top = _nice_max(max([*(h for h in heights if h is not None), 0.0001]))
    plot_w, plot_h = chart.width - LEFT - RIGHT, chart.height - TOP - BOTTOM
    slot = plot_w / max(1, len(labels))
    xs = [LEFT + slot * (i + 0.5) for i in range(len(labels))]
    _axis(chart, top, percent)
    for x, label, value in zip(xs, labels, heights, strict=True):
        if value is None:
            continue  # no bar for what cannot be drawn; the table beside the chart has the number
        height = plot_h * (value / top)
        chart.bars.append((0, x - slot * 0.35, chart.height - BOTTOM - height, slot * 0.7, height,
                           f"{label}: {_fmt(value, percent)}"))
    if cumulative is not None:
        for i in range(5):  # the cumulative share's own scale, on the right
            chart.texts.append((chart.width - RIGHT + 6, chart.height - BOTTOM - plot_h * i / 4 + 4, "start",
                                numbers.percent(i / 4)))
        points = [(x, chart.height - BOTTOM - plot_h * c) for x, c in zip(xs, cumulative, strict=True)]
        chart.lines.append((1, "cumulative", " ".join(f"{x:.1f},{y:.1f}" for x, y in points)))
        for (x, y), label, c in zip(points, labels, cumulative, strict=True):
            chart.dots.append((1, x, y, f"{label}: {_fmt(c, True)}"))
    _x_labels(chart, labels, xs)
    return chart
