"""What every dialog of the dashboard shares: a centred bordered box and a yes/no confirmation."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.textsafe import clean, literal

DIALOG_CSS = """
{name} {{ align: center middle; }}
{name} > .dialog {{ width: 76; max-width: 96%; height: auto; max-height: 94%;
    border: round $accent; background: $surface; padding: 0 1; }}
{name} .dialog-title {{ text-style: bold; }}
{name} .dialog-hint {{ color: $text-muted; }}
{name} .dialog-error {{ color: $error; height: auto; }}
"""


def dialog_css(name: str) -> str:
    """The shared dialog CSS for the screen class `name`."""
    return DIALOG_CSS.format(name=name)


class ConfirmScreen(ModalScreen[bool]):
    """Ask a yes/no question: y answers yes; n or Escape answers no."""

    DEFAULT_CSS = dialog_css("ConfirmScreen")
    BINDINGS = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text(clean(self.question)), classes="dialog-title", id="question")
            yield Static(literal("y: yes · n or Escape: no"), classes="dialog-hint")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
