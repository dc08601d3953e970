"""The dashboard's four tabs and what they share: a message area, number and period formats.

Each tab is a widget the app fills through `show(spec, ...)` on the main thread with frames from
`store.aggregate`; tabs never open the database. Untrusted text goes through `tui.textsafe`.
"""

from __future__ import annotations

import math
from datetime import date

from textual.app import ComposeResult
from textual.widget import Widget
from textual.widgets import Static

from store.viewspec import ViewSpec
from tui.textsafe import literal

METRIC_COLUMN = {"count": "articles", "share": "share", "tone": "tone"}
METRIC_LABEL = {"count": "articles", "share": "share of coverage", "tone": "mean tone"}


def metric_column(spec: ViewSpec, columns: list[str] | tuple[str, ...]) -> str:
    """The trends column drawn for this view: `smoothed` when present, else the metric's own."""
    if spec.smooth > 1 and "smoothed" in columns:
        return "smoothed"
    return METRIC_COLUMN[spec.metric]


def period_label(period: date, every: str) -> str:
    """How a period is named on screen: 2019-03-04 (day, week), 2019-03, 2019 Q1, 2019."""
    if every == "month":
        return f"{period.year}-{period.month:02d}"
    if every == "quarter":
        return f"{period.year} Q{(period.month - 1) // 3 + 1}"
    if every == "year":
        return str(period.year)
    return period.isoformat()


def fmt_count(value: float | int | None) -> str:
    """A count with thousands separators (smoothed counts keep one decimal)."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}"
    return f"{int(value):,}"


def fmt_share(value: float | None) -> str:
    """A share of coverage as a percentage."""
    if value is None or not math.isfinite(value):
        return "–"
    return f"{value * 100:.2f}%"


def fmt_tone(value: float | None) -> str:
    """A mean tone with its sign."""
    if value is None or not math.isfinite(value):
        return "–"
    return f"{value:+.2f}"


def fmt_metric(metric: str, value: float | int | None) -> str:
    """A value of the view's metric (count, share or tone)."""
    if metric == "share":
        return fmt_share(value)
    if metric == "tone":
        return fmt_tone(value)
    return fmt_count(value)


def fmt_change(metric: str, last: float | None, before: float | None) -> str:
    """The change of the last period against the one before, in the metric's unit."""
    if last is None or before is None or not (math.isfinite(last) and math.isfinite(before)):
        return "–"
    diff = last - before
    if metric == "share":
        return f"{diff * 100:+.2f} pt"
    if metric == "tone":
        return f"{diff:+.2f}"
    text = f"{diff:+,.1f}" if not float(diff).is_integer() else f"{int(diff):+,}"
    if before:
        text += f" ({diff / before * 100:+.0f}%)"
    return text


class TabBase(Widget):
    """A tab: its body, or a literal message (an error, or "no data") in its place."""

    DEFAULT_CSS = """
    TabBase { height: 1fr; width: 1fr; }
    TabBase > .tab-message { height: auto; padding: 1 2; display: none; }
    TabBase.-message > .tab-message { display: block; }
    TabBase.-message > .tab-body { display: none; }
    TabBase.-busy > .tab-body { opacity: 60%; }
    """

    def compose(self) -> ComposeResult:
        yield Static(literal(""), classes="tab-message")
        yield from self.compose_body()

    def compose_body(self) -> ComposeResult:
        """The tab's own widgets (each with class `tab-body`)."""
        yield from ()

    def show_message(self, message: str) -> None:
        """Show `message` (literally) in place of the data."""
        self.query_one(".tab-message", Static).update(literal(message))
        self.add_class("-message")

    def show_error(self, message: str) -> None:
        """Show an error (literally) in place of the data."""
        self.show_message(f"Could not read the data: {message}")

    def show_body(self) -> None:
        """Show the data again after a message."""
        self.remove_class("-message")

    def set_busy(self, busy: bool) -> None:
        """Dim the data while newer numbers are being read."""
        self.set_class(busy, "-busy")

    @property
    def ascii_only(self) -> bool:
        """True when the app asked for ASCII in place of block and braille glyphs."""
        return bool(getattr(self.app, "ascii_only", False))

    @property
    def monochrome(self) -> bool:
        """True when colours are off (NO_COLOR), so series need distinct glyphs."""
        return bool(getattr(self.app, "no_color", False))

    def on_show(self) -> None:
        """Take the keyboard when the tab comes into view and nothing else has it."""
        if self.screen.focused is None:
            self.focus()

    def focus_target(self) -> Widget | None:
        """The widget that takes the keyboard when the tab is focused."""
        return None

    def focus(self, scroll_visible: bool = True) -> TabBase:
        """Focus the tab's main widget (the tab itself takes no keys)."""
        target = self.focus_target()
        if target is not None:
            target.focus(scroll_visible)
        return self
