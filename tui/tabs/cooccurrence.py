"""The Co-occurrence tab: how often two themes are covered by the same articles.

The table lists theme pairs (shared articles, Jaccard, a bar of the Jaccard); `v` switches to the
theme × theme matrix of Jaccard values. Enter on a pair makes the view those two themes.
"""

from __future__ import annotations

from typing import Any, ClassVar

import polars as pl
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widget import Widget
from textual.widgets import Static

from store.viewspec import ViewSpec
from tui.datatable import DataTable
from tui.messages import ApplyView
from tui.sparkline import bar
from tui.tabs import TabBase, fmt_count
from tui.textsafe import clean, literal

BAR_WIDTH = 20


class CooccurrenceTab(TabBase):
    """Pairs of themes (see tabs_api: `show(spec, cooc)`)."""

    DEFAULT_CSS = """
    CooccurrenceTab #cooc-note { height: 1; color: $text-muted; }
    CooccurrenceTab #cooc-table { height: 1fr; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("v", "toggle_matrix", "Matrix", tooltip="Pairs list / theme × theme matrix",
                id="cooc-matrix"),
    ]

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id, classes=classes)
        self.spec = ViewSpec(table="cooccurrence")
        self.pairs: list[tuple[str, str, int, float]] = []
        self.themes: list[str] = []
        self.matrix = False

    def compose_body(self) -> ComposeResult:
        yield Static(literal(""), id="cooc-note", classes="tab-body")
        yield DataTable(id="cooc-table", classes="tab-body", cursor_type="row",
                        zebra_stripes=True)

    def focus_target(self) -> Widget | None:
        return self.query_one("#cooc-table", DataTable)

    def show(self, spec: ViewSpec, cooc: pl.DataFrame) -> None:
        """Fill the table from `cooc` (theme_a, theme_b, articles, jaccard)."""
        self.spec = spec
        rows = [(r["theme_a"], r["theme_b"], int(r["articles"] or 0), float(r["jaccard"] or 0.0))
                for r in cooc.iter_rows(named=True)]
        self.pairs = sorted(rows, key=lambda p: (-p[2], -p[3]))
        self.themes = list(dict.fromkeys(t for a, b, _, _ in rows for t in (a, b)))
        if not self.pairs:
            self.show_message("Co-occurrence needs at least two themes with matching articles"
                              " — pick themes (t) or clear filters (x).")
            return
        self.show_body()
        self._fill()

    def _fill(self) -> None:
        self.query_one("#cooc-note", Static).update(literal(
            f"{len(self.pairs):,} pairs of {len(self.themes)} themes · Enter: view the pair · "
            f"v: {'pairs' if self.matrix else 'matrix'} · Jaccard = shared / (a + b − shared)"))
        table = self.query_one("#cooc-table", DataTable)
        table.clear(columns=True)
        if self.matrix:
            table.cursor_type = "cell"
            table.add_column(Text("theme"), key="theme")
            for index in range(len(self.themes)):
                table.add_column(Text(str(index + 1), justify="right"), key=f"c{index}")
            jaccard = {(a, b): j for a, b, _, j in self.pairs}
            jaccard.update({(b, a): j for a, b, _, j in self.pairs})
            for index, theme in enumerate(self.themes):
                cells = [
                    Text("—" if other == theme else f"{jaccard.get((theme, other), 0.0):.2f}",
                         justify="right")
                    for other in self.themes
                ]
                table.add_row(literal(f"{index + 1} {theme}"), *cells, key=f"r{index}")
            table.size_columns()
            return
        table.cursor_type = "row"
        table.add_columns("theme a", "theme b", "shared", "Jaccard", "")
        top = max((p[3] for p in self.pairs), default=0.0)
        for index, (a, b, shared, jac) in enumerate(self.pairs):
            table.add_row(literal(a), literal(b), Text(fmt_count(shared), justify="right"),
                          Text(f"{jac:.3f}", justify="right"),
                          Text(bar(jac, top, BAR_WIDTH, ascii_only=self.ascii_only)),
                          key=f"p{index}")
        table.size_columns()

    def action_toggle_matrix(self) -> None:
        """Switch between the list of pairs and the theme × theme matrix."""
        self.matrix = not self.matrix
        if self.pairs:
            self._fill()

    def apply_pair(self, a: str, b: str) -> ApplyView:
        """The message that makes the view these two themes."""
        return ApplyView(self.spec.replace(themes=(a, b)), clean(f"co-occurrence of {a} and {b}"))

    @on(DataTable.RowSelected, "#cooc-table")
    def _row(self, event: DataTable.RowSelected) -> None:
        event.stop()
        key = str(event.row_key.value)
        if not self.matrix and key.startswith("p"):
            a, b, _, _ = self.pairs[int(key[1:])]
            self.post_message(self.apply_pair(a, b))

    @on(DataTable.CellSelected, "#cooc-table")
    def _cell(self, event: DataTable.CellSelected) -> None:
        event.stop()
        row, column = event.coordinate
        if self.matrix and column >= 1 and row != column - 1:
            self.post_message(self.apply_pair(self.themes[row], self.themes[column - 1]))

    def cell_texts(self) -> list[list[Any]]:
        """What the table shows, row by row."""
        table = self.query_one("#cooc-table", DataTable)
        return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
