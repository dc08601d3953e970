"""The export dialog: a file name proposed in the starting directory and a format; Enter writes.

A typed name ending in .csv, .parquet or .json is written in that format.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Input, Static

from tui.screens.dialog import dialog_css
from tui.textsafe import literal

FORMATS = ("csv", "parquet", "json")


@dataclass(frozen=True)
class ExportRequest:
    """Where to write the current table and in which format."""

    path: Path
    fmt: str


def with_format(name: str, fmt: str) -> str:
    """The file name with its extension swapped for `fmt` when it has one of ours."""
    stem, dot, ext = name.rpartition(".")
    if dot and ext.lower() in FORMATS:
        return f"{stem}.{fmt}"
    return name


class FormatChoice(Widget, can_focus=True):
    """The file format: Left/Right (or Space) change it, Enter writes like Enter in the name.

    Drawn as `(•) csv  ( ) parquet  ( ) json`, so the choice shows without colour too.
    """

    DEFAULT_CSS = """
    FormatChoice { height: 1; width: 1fr; }
    FormatChoice:focus { text-style: bold; }
    """
    BINDINGS = [
        Binding("right,down,space", "move(1)", "Next format", show=False),
        Binding("left,up", "move(-1)", "Previous format", show=False),
        Binding("enter", "screen.write", "Write", show=False),
    ]

    fmt: reactive[str] = reactive("csv")

    class Changed(Message):
        """The format changed."""

    def render(self) -> Text:
        text = Text("format: ")
        for fmt in FORMATS:
            text.append(f"({'•' if fmt == self.fmt else ' '}) {fmt}",
                        "reverse" if fmt == self.fmt and self.has_focus else "")
            text.append("  ")
        return text

    def action_move(self, step: int) -> None:
        self.fmt = FORMATS[(FORMATS.index(self.fmt) + step) % len(FORMATS)]
        self.post_message(self.Changed())

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()


class ExportScreen(ModalScreen[ExportRequest | None]):
    """Propose `softpower-<table>-<time>.csv` in `directory`; Enter writes, Escape cancels."""

    DEFAULT_CSS = dialog_css("ExportScreen") + """
    ExportScreen FormatChoice { margin: 1 0 0 0; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, table: str, rows_hint: str, directory: Path, filename: str) -> None:
        super().__init__()
        self.table = table
        self.rows_hint = rows_hint
        self.directory = directory
        self.filename = filename

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(literal(f"Export the {self.table} table ({self.rows_hint})"),
                         classes="dialog-title")
            yield Static(literal(f"in {self.directory}"), classes="dialog-hint", id="export-dir")
            yield Input(self.filename, id="export-name")
            yield FormatChoice(id="export-format")
            yield Static("", id="export-error", classes="dialog-error")
            yield Static(literal("Enter writes · Tab, then arrows choose the format · "
                                 "Escape cancels"), classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#export-name", Input).focus()

    @property
    def fmt(self) -> str:
        return self.query_one("#export-format", FormatChoice).fmt

    @on(FormatChoice.Changed)
    def _format_changed(self) -> None:
        name = self.query_one("#export-name", Input)
        name.value = with_format(name.value, self.fmt)

    @on(Input.Submitted, "#export-name")
    def _submit(self) -> None:
        self.action_write()

    def action_write(self) -> None:
        name = self.query_one("#export-name", Input).value.strip()
        if not name:
            self.query_one("#export-error", Static).update(literal("a file name is needed"))
            return
        path = Path(name).expanduser()
        if not path.is_absolute():
            path = self.directory / path
        if path.is_dir():
            self.query_one("#export-error", Static).update(literal(f"{path} is a directory"))
            return
        if not path.parent.is_dir():
            self.query_one("#export-error", Static).update(
                literal(f"no directory {path.parent}"))
            return
        ext = path.suffix.lower().lstrip(".")
        self.dismiss(ExportRequest(path.resolve(), ext if ext in FORMATS else self.fmt))

    def action_cancel(self) -> None:
        self.dismiss(None)
