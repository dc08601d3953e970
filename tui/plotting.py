"""The Trends plot: a textual-plotext widget that builds a plot once per data, size and theme.

Series are downsampled to at most one point per column; spikes are marked with their own glyph.
Colours come from a fixed palette so the legend under the plot can match them; with NO_COLOR or
ASCII each series gets a distinct ASCII marker as well.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache

import plotext._date as plotext_date
import plotext._utility as plotext_utility
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.app import RenderResult
from textual.strip import Strip
from textual_plotext import PlotextPlot

from tui.sparkline import squeeze
from tui.textsafe import clean

PALETTE: tuple[tuple[int, int, int], ...] = (
    (31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40),
    (148, 103, 189), (140, 86, 75), (227, 119, 194), (23, 190, 207),
)
ASCII_MARKERS = "*+ox#@%&"
SPIKE_GLYPH, SPIKE_ASCII = "▲", "^"
LABEL_WIDTH = 24  # characters of a series name kept in the legend
KEEP_BUILT = 16  # plots kept built, so going back to a view (undo, redo) draws it at once


@dataclass(frozen=True)
class Series:
    """One line of the plot: its name, x values (ISO dates) and y values (None = no value)."""

    name: str
    dates: tuple[str, ...]
    values: tuple[float | None, ...]
    spikes: tuple[tuple[str, float], ...] = field(default=())


def downsample(dates: Sequence[str], values: Sequence[float | None],
               points: int) -> tuple[list[str], list[float | None]]:
    """At most `points` points: runs of periods averaged, each labelled by its first date."""
    n = len(dates)
    if points <= 0:
        return [], []
    if n <= points:
        return list(dates), list(values)
    firsts = [dates[i * n // points] for i in range(points)]
    return firsts, squeeze(list(values), points)


PLOTEXT_HD_GROUP = plotext_utility.hd_group


def hd_group(x: list[object], y: list[object], xf: list[int], yf: list[int]
             ) -> tuple[list[object], list[object], list[tuple[int, ...]]]:
    """plotext's `hd_group`, which gathers the dots of a line into braille cells (each cell's
    column, row and dot pattern), without a matrix and a flattening per dot.

    plotext spends two thirds of a plot's build in it (some 20 ms of a key press at 120
    columns). Same results (tested against plotext's own); anything but whole-number dots of one
    cell shape goes to plotext's.
    """
    if (not x or len(x) != len(y) or min(xf) != max(xf) or min(yf) != max(yf)
            or not all(type(v) is int for v in x) or not all(type(v) is int for v in y)):
        return PLOTEXT_HD_GROUP(x, y, xf, yf)  # type: ignore[no-any-return]
    fx, fy = xf[0], yf[0]
    size = fx * fy
    cells: dict[tuple[int, int], list[int]] = {}
    for xi, yi in zip(x, y, strict=True):
        key = (xi // fx, yi // fy)  # type: ignore[operator]
        dots = cells.get(key)
        if dots is None:
            dots = cells[key] = [0] * size
        dots[(fy - 1 - yi % fy) * fx + xi % fx] = 1  # type: ignore[operator]
    return ([key[0] for key in cells], [key[1] for key in cells],
            [tuple(dots) for dots in cells.values()])


plotext_utility.hd_group = hd_group  # plotext's builder looks it up in its module

PLOTEXT_STRING_TO_TIME = plotext_date.date_class.string_to_time


@lru_cache(maxsize=1 << 16)
def _timestamp(string: str, form: str) -> float:
    return datetime.strptime(string, form).replace(tzinfo=UTC).timestamp()


def string_to_time(self: plotext_date.date_class, string: str, input_form: str | None = None,
                   time0: float | None = None) -> float:
    """plotext's date parsing (every date of every series, by `strptime`, at every build),
    remembered per date string: the same dates come back at every key press."""
    form = self.input_form if input_form is None else self.correct_form(input_form)
    start = self.time0 if time0 is None else time0
    try:
        return _timestamp(string, form) - start
    except (TypeError, ValueError):
        raise ValueError("Date Form should be: " + form) from None


plotext_date.date_class.string_to_time = string_to_time  # type: ignore[method-assign]


class TrendPlot(PlotextPlot):
    """Line plot of up to eight series over dates, cached until its data or size change."""

    DEFAULT_CSS = """
    TrendPlot { height: 1fr; min-height: 5; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id, classes=classes)
        self.series: tuple[Series, ...] = ()
        self.y_label = ""
        self.version = 0
        self.builds = 0
        self.points_drawn = 0
        self._built: OrderedDict[tuple[object, ...], str] = OrderedDict()
        self._current: tuple[tuple[object, ...], str] | None = None  # the last one drawn

    def set_series(self, series: Sequence[Series], y_label: str) -> None:
        """Replace what is drawn; the plot is rebuilt at the next paint only if it changed."""
        series = tuple(series)
        if series == self.series and y_label == self.y_label:
            return
        self.series = series
        self.y_label = y_label
        self.version += 1
        self.refresh()

    def marker(self, index: int) -> str:
        """The glyph of series `index`: braille, or a distinct ASCII mark without colour."""
        if self.plain:
            return ASCII_MARKERS[index % len(ASCII_MARKERS)]
        return "braille"

    @property
    def plain(self) -> bool:
        """True when series must be told apart without colour or braille."""
        return bool(getattr(self.app, "ascii_only", False) or getattr(self.app, "no_color", False))

    @property
    def ascii_only(self) -> bool:
        return bool(getattr(self.app, "ascii_only", False))

    def render(self) -> RenderResult:
        return ansi_text(self._drawing())

    def render_line(self, y: int) -> Strip:
        """Line `y` of the plot, as strips made straight from plotext's output.

        Textual would turn the plot's Text into Content and that into strips, span by span:
        as long again as building the plot (some 30 ms at 120 columns). plotext's output is
        runs of one style each, so its strips are made directly, with the widget's own style
        beneath each run as Textual would put it (the snapshot tests hold them to the same
        screen). Output of another shape goes through Textual.
        """
        base = self.visual_style.rich_style
        strips = ansi_strips(self._drawing(), base)
        if strips is None:
            return super().render_line(y)
        if y < len(strips):
            return strips[y]
        return Strip.blank(self.size.width, base)

    def _drawing(self) -> str:
        """plotext's output for the current series and size (built at most once for them)."""
        width, height = self.size.width, self.size.height
        look = (self.app.theme, self.plain, self.ascii_only)
        current = (self.version, width, height, *look)
        if self._current is not None and self._current[0] == current:
            return self._current[1]  # every line of a paint asks: no hashing of the series
        key = (self.series, self.y_label, width, height, *look)
        built = self._built.get(key)
        if built is None:
            built = self._built[key] = self._build(width, height)
            while len(self._built) > KEEP_BUILT:
                self._built.popitem(last=False)
        self._built.move_to_end(key)
        self._current = (current, built)
        return built

    def _build(self, width: int, height: int) -> str:
        if not self.series or width <= 0 or height <= 0:
            self.points_drawn = 0
            return ""
        plt = self.plt
        plt.clear_figure()
        plt.plotsize(width, height)
        plt._set_size(width, height)
        plt.theme(self._get_plotext_theme_name(self.app.theme))
        plt.date_form("Y-m-d")
        columns = max(width - 10, 1)  # the y axis and its labels take the rest
        drawn = 0
        for index, series in enumerate(self.series):
            dates, values = downsample(series.dates, series.values, columns)
            xs = [d for d, v in zip(dates, values, strict=True) if v is not None]
            ys = [v for v in values if v is not None]
            colour = PALETTE[index % len(PALETTE)]
            if xs:
                plt.plot(xs, ys, marker=self.marker(index), color=colour)
                drawn += len(xs)
        for index, series in enumerate(self.series):  # drawn last, so no line hides them
            if series.spikes:
                plt.scatter([d for d, _ in series.spikes], [v for _, v in series.spikes],
                            marker=SPIKE_ASCII if self.ascii_only else SPIKE_GLYPH,
                            color=PALETTE[index % len(PALETTE)])
        self.points_drawn = drawn
        self.builds += 1
        if not drawn:
            return ""
        return str(plt.build())


_RESET = "\x1b[0m"
_LEADING_SGR = re.compile(r"(?:\x1b\[[0-9;]*m)+")


@lru_cache(maxsize=1024)
def _sgr_style(codes: str) -> Style | str:
    """The style that a run of SGR codes sets (decoded once by Rich, then remembered)."""
    spans = Text.from_ansi(codes + "x").spans
    return spans[0].style if spans else ""


def _ansi_runs(ansi: str) -> list[list[tuple[str, str]]] | None:
    """plotext's output as lines of (SGR codes, characters) runs; None when it is not runs of
    `SGR codes, characters, reset`."""
    lines: list[list[tuple[str, str]]] = []
    for line in ansi.split("\n"):
        runs: list[tuple[str, str]] = []
        for run in line.split(_RESET):
            if not run:
                continue
            lead = _LEADING_SGR.match(run)
            codes, body = (lead.group(), run[lead.end():]) if lead else ("", run)
            if "\x1b" in body:
                return None
            runs.append((codes, body))
        lines.append(runs)
    return lines


def ansi_text(ansi: str) -> Text:
    """Text of plotext's output, which is runs of `SGR codes, characters, reset`.

    The same Text as `Text.from_ansi(ansi, no_wrap=True)` (tested), three times faster: each
    run's style is decoded once per distinct run of codes instead of character by character.
    Anything not of that shape goes to Rich's decoder.
    """
    lines = _ansi_runs(ansi)
    if lines is None:
        return Text.from_ansi(ansi, no_wrap=True)
    out = Text(no_wrap=True)
    for number, runs in enumerate(lines):
        if number:
            out.append("\n")
        for codes, body in runs:
            out.append(body, _sgr_style(codes) if codes else None)
    return out


@lru_cache(maxsize=1024)
def _run_style(base: Style, codes: str) -> Style:
    """The widget's style with a run's SGR codes over it."""
    style = _sgr_style(codes) if codes else ""
    return base + style if isinstance(style, Style) else base


@lru_cache(maxsize=KEEP_BUILT * 2)
def ansi_strips(ansi: str, base: Style) -> tuple[Strip, ...] | None:
    """plotext's output as one Strip per line, each run in its style over `base`; None when
    the output is not runs of `SGR codes, characters, reset` (see ansi_text)."""
    if not ansi:
        return ()
    lines = _ansi_runs(ansi)
    if lines is None:
        return None
    return tuple(Strip([Segment(body, _run_style(base, codes)) for codes, body in runs])
                 for runs in lines)


def legend(series: Sequence[Series], *, plain: bool, ascii_only: bool,
           width: int = 0, label_width: int = LABEL_WIDTH) -> Text:
    """The key to the plot: each series' marker in its colour, then its name (literal).

    Items are never split across lines: with `width`, an item that would not fit starts a new one.
    """
    items: list[Text] = []
    for index, item in enumerate(series):
        mark = ASCII_MARKERS[index % len(ASCII_MARKERS)] if plain else "━"
        r, g, b = PALETTE[index % len(PALETTE)]
        entry = Text(mark, style=f"bold rgb({r},{g},{b})", end="")
        name = clean(item.name)
        if len(name) > label_width:
            name = name[: label_width - 1] + "…"
        entry.append(" " + name)
        items.append(entry)
    if any(item.spikes for item in series):
        entry = Text(SPIKE_ASCII if ascii_only else SPIKE_GLYPH, style="bold", end="")
        entry.append(" spike")
        items.append(entry)
    out = Text(no_wrap=True, end="")
    used = 0
    for entry in items:
        if used and width and used + 2 + entry.cell_len > width:
            out.append("\n")
            used = 0
        elif used:
            out.append("  ")
            used += 2
        out.append_text(entry)
        used += entry.cell_len
    return out
