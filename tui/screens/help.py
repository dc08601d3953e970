"""The help screen: every key of the dashboard and what it does."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from tui.textsafe import literal


class HelpScreen(ModalScreen[None]):
    """Lists the app's bindings; Escape, q or ? closes it."""

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    #help-box { width: auto; max-width: 90%; height: auto; max-height: 80%;
                border: round $accent; background: $surface; }
    #help-table { width: auto; height: auto; }
    """
    BINDINGS = [
        Binding("escape", "dismiss", "Close"),
        Binding("q", "dismiss", "Close"),
        Binding("question_mark", "dismiss", "Close"),
    ]

    def __init__(self, keys: list[tuple[str, str]]) -> None:
        super().__init__()
        self.keys = keys

    def compose(self) -> ComposeResult:
        with Vertical(id="help-box"):
            yield Static(literal("Keys — Escape closes"), id="help-title")
            yield DataTable(id="help-table", cursor_type="none", show_cursor=False)

    def on_mount(self) -> None:
        table = self.query_one("#help-table", DataTable)
        table.add_columns("key", "action")
        for key, description in self.keys:
            table.add_row(literal(key), literal(description))
