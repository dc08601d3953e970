"""Text sparklines and bars: block glyphs, or plain ASCII for terminals and fonts without them."""

from __future__ import annotations

import math
from collections.abc import Sequence

BLOCKS = "▁▂▃▄▅▆▇█"
ASCII_LEVELS = "_.-=+*#@"
BAR_FULL, BAR_PARTS = "█", " ▏▎▍▌▋▊▉"
ASCII_BAR = "#"


def _finite(values: Sequence[float | int | None]) -> list[float | None]:
    out: list[float | None] = []
    for value in values:
        if value is None or (isinstance(value, float) and not math.isfinite(value)):
            out.append(None)
        else:
            out.append(float(value))
    return out


def squeeze(values: Sequence[float | None], width: int) -> list[float | None]:
    """At most `width` values: consecutive runs averaged (gaps ignored), order kept."""
    if width <= 0:
        return []
    if len(values) <= width:
        return list(values)
    out: list[float | None] = []
    n = len(values)
    for i in range(width):
        lo, hi = i * n // width, (i + 1) * n // width
        chunk = [v for v in values[lo:hi] if v is not None]
        out.append(sum(chunk) / len(chunk) if chunk else None)
    return out


def sparkline(values: Sequence[float | int | None], width: int = 16, *,
              ascii_only: bool = False) -> str:
    """A one-line sketch of `values` in at most `width` characters (blank where no value)."""
    levels = ASCII_LEVELS if ascii_only else BLOCKS
    points = squeeze(_finite(values), width)
    present = [v for v in points if v is not None]
    if not present:
        return " " * len(points)
    lo, hi = min(present), max(present)
    span = hi - lo
    chars = []
    for value in points:
        if value is None:
            chars.append(" ")
        elif span == 0:
            chars.append(levels[0] if hi == 0 else levels[len(levels) // 2])
        else:
            chars.append(levels[round((value - lo) / span * (len(levels) - 1))])
    return "".join(chars)


def bar(value: float, maximum: float, width: int, *, ascii_only: bool = False) -> str:
    """A horizontal bar of `value` against `maximum`, `width` characters at most (no padding)."""
    if width <= 0 or maximum <= 0 or value <= 0 or not math.isfinite(value):
        return ""
    cells = min(value / maximum, 1.0) * width
    if ascii_only:
        return ASCII_BAR * max(1, round(cells))
    whole = int(cells)
    part = int((cells - whole) * 8)
    text = BAR_FULL * whole + (BAR_PARTS[part] if part else "")
    return text or BAR_PARTS[1]
