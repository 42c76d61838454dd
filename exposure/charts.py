"""Geometry of the server-rendered SVG charts.

The page's Content-Security-Policy allows no inline script and no chart library from a CDN,
so charts are plain SVG drawn by the template from the coordinates computed here. Pure
functions of their input, no ORM.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Tick:
    """An axis label at a position along the axis."""

    position: float
    label: str


@dataclass(frozen=True)
class LineChart:
    """A line with its filled area, axis ticks and the summary a screen reader announces."""

    width: int
    height: int
    left: int
    bottom: int
    top: int
    right: int
    line: str
    area: str
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    last_x: float
    last_y: float
    description: str


def _nice_ceiling(value: int) -> int:
    """The smallest 1, 2 or 5 × 10ⁿ at or above ``value``, so that gridlines fall on round
    numbers."""
    if value <= 4:
        return 4
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude


def line_chart(
    points: list[tuple[date, int]],
    *,
    width: int = 1200,
    height: int = 260,
    subject: str = "open flags",
) -> LineChart:
    """Coordinates of a line chart of daily counts, in an SVG ``viewBox`` of the given size."""
    left, right, top, bottom = 48, 12, 12, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = _nice_ceiling(max((count for _, count in points), default=0))
    span = max(len(points) - 1, 1)

    def x(index: int) -> float:
        return round(left + plot_w * index / span, 1)

    def y(count: int) -> float:
        return round(top + plot_h * (1 - count / peak), 1)

    coords = [(x(i), y(count)) for i, (_, count) in enumerate(points)]
    line = " ".join(f"{cx},{cy}" for cx, cy in coords)
    baseline = top + plot_h
    area = f"{left},{baseline} {line} {coords[-1][0]},{baseline}" if coords else ""
    y_ticks = [Tick(y(peak * i // 4), f"{peak * i // 4:,}") for i in range(5)]
    # A tick on the first day of each month (or every fortnight in a short series).
    x_ticks = [
        Tick(x(i), day.strftime("%-d %b"))
        for i, (day, _) in enumerate(points)
        if day.day == 1 or (len(points) <= 31 and i % 14 == 0)
    ]
    if points:
        first, last = points[0], points[-1]
        description = (
            f"{subject.capitalize()} per day from {first[0]:%-d %B %Y} to {last[0]:%-d %B %Y}: "
            f"{first[1]:,} at the start, {last[1]:,} now, "
            f"at most {max(c for _, c in points):,}."
        )
    else:
        description = f"No {subject} in this period."
    last_x, last_y = coords[-1] if coords else (left, baseline)
    return LineChart(
        width=width,
        height=height,
        left=left,
        bottom=baseline,
        top=top,
        right=width - right,
        line=line,
        area=area,
        y_ticks=y_ticks,
        x_ticks=x_ticks,
        last_x=last_x,
        last_y=last_y,
        description=description,
    )


@dataclass(frozen=True)
class Bar:
    """One horizontal bar of a breakdown, as a percentage of the largest bar."""

    key: str
    label: str
    count: float
    percent: float


def bars(rows: Sequence[tuple[str, str, float]], *, peak: float | None = None) -> list[Bar]:
    """Bars of ``(key, label, count)`` rows scaled to ``peak`` (a share's 100, say), or else
    to the largest count."""
    top = peak or max((count for _, _, count in rows), default=0) or 1
    return [Bar(key, label, count, round(100 * count / top, 1)) for key, label, count in rows]
