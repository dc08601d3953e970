"""Messages the tabs send to the app: drill into the articles behind a number, or apply a view."""

from __future__ import annotations

from textual.message import Message

from store.viewspec import ViewSpec


class DrillDown(Message):
    """Open the articles behind a series, cell, point or pair: `spec` selects exactly them."""

    def __init__(self, spec: ViewSpec, title: str) -> None:
        super().__init__()
        self.spec = spec
        self.title = title


class ApplyView(Message):
    """Make `spec` the current view (pushed on the undo stack like any filter change)."""

    def __init__(self, spec: ViewSpec, reason: str = "") -> None:
        super().__init__()
        self.spec = spec
        self.reason = reason
