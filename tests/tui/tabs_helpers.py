"""Shared by the tab tests: a tiny app holding one tab, and the text on its screen."""

from __future__ import annotations

from typing import Any

from textual.app import App, ComposeResult
from textual.widget import Widget

from tui.messages import ApplyView, DrillDown


class TabApp(App[None]):
    """One tab filling the screen; the messages it sends are kept for the test to read."""

    def __init__(self, tab: Widget, *, ascii_only: bool = False) -> None:
        super().__init__()
        self.tab = tab
        self.ascii_only = ascii_only
        self.drills: list[DrillDown] = []
        self.applied: list[ApplyView] = []
        self.copied: list[str] = []

    def compose(self) -> ComposeResult:
        yield self.tab

    def on_mount(self) -> None:
        self.tab.focus()

    def on_drill_down(self, message: DrillDown) -> None:
        self.drills.append(message)

    def on_apply_view(self, message: ApplyView) -> None:
        self.applied.append(message)

    def copy_to_clipboard(self, text: str) -> None:
        self.copied.append(text)
        super().copy_to_clipboard(text)


def screen_text(app: App[Any]) -> str:
    """Every character on the screen, line by line, as the terminal would show it."""
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(segment.text for segment in strip) for strip in strips)
