"""One article in full: every stored field, its themes, countries and regions, summary and URL.

Every value is untrusted and shown literally. `c` copies the URL (OSC 52, works over SSH);
Escape (or q) closes the screen.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.textsafe import clean, literal

FIELD_ORDER = ("title", "id", "published", "source", "source_country", "language", "tone",
               "url", "themes", "countries", "regions", "summary")
LABELS = {"source_country": "source country", "id": "id"}


def field_text(value: Any) -> str:
    """A field's value as shown (lists joined, dates in ISO form, missing as a dash)."""
    if value is None or value == "" or value == []:
        return "–"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:+.2f}"
    if isinstance(value, (list, tuple)):
        return ", ".join(clean(v) for v in value)
    return clean(value)


class ArticleDetailScreen(ModalScreen[None]):
    """Every field of one article (the dict of `store.aggregate.article_detail`)."""

    DEFAULT_CSS = """
    ArticleDetailScreen { align: center middle; }
    #detail-box { width: 96%; max-width: 120; height: auto; max-height: 96%;
                  border: round $accent; background: $surface; }
    #detail-title { padding: 0 1; color: $text-muted; height: 1; }
    #detail-scroll { height: auto; max-height: 1fr; padding: 0 1; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "Close", id="detail-close"),
        Binding("q", "dismiss", "Close", show=False),
        Binding("c", "copy_url", "Copy URL", id="detail-copy-url"),
    ]

    def __init__(self, record: dict[str, Any]) -> None:
        super().__init__()
        self.record = record

    @property
    def url(self) -> str:
        """The article's URL, control characters made visible."""
        return clean(self.record.get("url") or "")

    def fields(self) -> list[tuple[str, str]]:
        """(label, value) for every field of the record, the usual ones first."""
        keys = [k for k in FIELD_ORDER if k in self.record]
        keys += [k for k in self.record if k not in FIELD_ORDER]
        return [(LABELS.get(k, k.replace("_", " ")), field_text(self.record[k])) for k in keys]

    def compose(self) -> ComposeResult:
        grid = Table.grid(padding=(0, 2), expand=True)
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column(ratio=1, overflow="fold")
        for label, value in self.fields():
            grid.add_row(Text(label), Text(value))
        with Vertical(id="detail-box"):
            yield Static(literal("Article — c copies the URL · Escape closes"), id="detail-title")
            with VerticalScroll(id="detail-scroll"):
                yield Static(grid, id="detail-fields")

    def on_mount(self) -> None:
        self.query_one("#detail-scroll").focus()

    def action_copy_url(self) -> None:
        """Copy the URL to the clipboard with OSC 52 and say so."""
        if not self.url:
            self.app.notify("This article has no URL.", severity="warning")
            return
        self.app.copy_to_clipboard(self.url)
        self.app.notify(f"Copied {self.url}", title="URL copied (OSC 52)", markup=False)
