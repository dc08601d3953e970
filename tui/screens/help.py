"""The help screen: every key of the dashboard, what it does, and its id for the keymap file."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.datatable import DataTable
from tui.textsafe import literal


class HelpScreen(ModalScreen[None]):
    """Lists the app's bindings (generated from them); Escape, q or ? closes it."""

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    #help-box { width: auto; max-width: 96%; height: auto; max-height: 96%;
                border: round $accent; background: $surface; }
    #help-table { width: auto; height: auto; max-height: 1fr; }
    #help-title, #help-keymap { color: $text-muted; padding: 0 1; }
    """
    BINDINGS = [
        Binding("escape", "dismiss", "Close"),
        Binding("q", "dismiss", "Close"),
        Binding("question_mark", "dismiss", "Close"),
    ]

    def __init__(self, keys: list[tuple[str, str, str]], keymap_file: str = "") -> None:
        super().__init__()
        self.keys = keys
        self.keymap_file = keymap_file

    def compose(self) -> ComposeResult:
        with Vertical(id="help-box"):
            yield Static(literal("Keys — Escape closes · arrows scroll"), id="help-title")
            yield DataTable(id="help-table", cursor_type="row", zebra_stripes=False)
            if self.keymap_file:
                yield Static(literal(f"Rebind: {self.keymap_file}, lines id = \"key\""),
                             id="help-keymap")

    def on_mount(self) -> None:
        table = self.query_one("#help-table", DataTable)
        table.add_columns("key", "action", "id")
        for key, description, binding_id in self.keys:
            table.add_row(literal(key), literal(description), literal(binding_id))
        table.focus()
