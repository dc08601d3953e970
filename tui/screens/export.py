"""The export dialog: a file name proposed in the starting directory and a format; Enter writes.

A typed name ending in .csv, .parquet or .json is written in that format.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, RadioButton, RadioSet, Static

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


class FormatChoice(RadioSet):
    """The format buttons: arrows choose, Enter writes the file like Enter in the name."""

    BINDINGS = [Binding("enter", "screen.write", "Write", show=False)]

    def action_next_button(self) -> None:
        super().action_next_button()
        self.action_toggle_button()

    def action_previous_button(self) -> None:
        super().action_previous_button()
        self.action_toggle_button()


class ExportScreen(ModalScreen[ExportRequest | None]):
    """Propose `softpower-<table>-<time>.csv` in `directory`; Enter writes, Escape cancels."""

    DEFAULT_CSS = dialog_css("ExportScreen") + """
    ExportScreen RadioSet { layout: horizontal; height: auto; width: auto; }
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
            with FormatChoice(id="export-format"):
                for fmt in FORMATS:
                    yield RadioButton(fmt, value=fmt == "csv", id=f"fmt-{fmt}")
            yield Static("", id="export-error", classes="dialog-error")
            yield Static(literal("Enter writes · Tab, then arrows choose the format · "
                                 "Escape cancels"), classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#export-name", Input).focus()

    @property
    def fmt(self) -> str:
        pressed = self.query_one("#export-format", RadioSet).pressed_button
        return str(pressed.id).removeprefix("fmt-") if pressed is not None else "csv"

    @on(RadioSet.Changed, "#export-format")
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
