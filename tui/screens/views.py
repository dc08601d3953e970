"""Saved views: save the current view under a name, open one saved before (`views/NAME.toml`)."""

from __future__ import annotations

import re
from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from tui.screens.dialog import dialog_css
from tui.textsafe import literal

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._ -]{0,63}$")


def saved_views(directory: Path) -> list[str]:
    """Names of the views saved in `directory`, sorted."""
    if not directory.is_dir():
        return []
    return sorted(p.stem for p in directory.glob("*.toml") if p.is_file())


def check_name(name: str) -> str | None:
    """Why `name` cannot name a view file, or None when it can."""
    if not NAME.match(name) or name.endswith((".", " ")):
        return ("a name is 1–64 letters, digits, spaces, '.', '_' or '-', starting with a "
                "letter or digit")
    return None


class SaveViewScreen(ModalScreen[str | None]):
    """Ask for a name; Enter saves (the app asks before replacing a saved view)."""

    DEFAULT_CSS = dialog_css("SaveViewScreen")
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, directory: Path, summary: str) -> None:
        super().__init__()
        self.directory = directory
        self.summary = summary

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(literal("Save the view"), classes="dialog-title")
            yield Static(literal(self.summary), classes="dialog-hint")
            yield Input(id="view-name", placeholder="name, e.g. united-front-pacific")
            yield Static("", id="view-error", classes="dialog-error")
            yield Static(literal(f"saved in {self.directory} · Enter saves · Escape cancels"),
                         classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#view-name", Input).focus()

    @on(Input.Submitted, "#view-name")
    def _submit(self, event: Input.Submitted) -> None:
        name = event.value.strip()
        problem = check_name(name)
        if problem:
            self.query_one("#view-error", Static).update(literal(problem))
            return
        self.dismiss(name)

    def action_cancel(self) -> None:
        self.dismiss(None)


class OpenViewScreen(ModalScreen[str | None]):
    """List the saved views; Enter opens the one under the cursor."""

    DEFAULT_CSS = dialog_css("OpenViewScreen") + (
        "OpenViewScreen OptionList { height: auto; max-height: 14; }")
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, directory: Path) -> None:
        super().__init__()
        self.directory = directory
        self.names = saved_views(directory)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(literal("Open a saved view"), classes="dialog-title")
            if self.names:
                options = [Option(literal(n), id=f"v{i}") for i, n in enumerate(self.names)]
                yield OptionList(*options, id="views")
            else:
                yield Static(literal(f"No saved views yet in {self.directory} — s saves one."),
                             id="no-views")
            yield Static(literal("Enter opens · Escape cancels"), classes="dialog-hint")

    @on(OptionList.OptionSelected, "#views")
    def _open(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.names[int(str(event.option.id)[1:])])

    def action_cancel(self) -> None:
        self.dismiss(None)
