"""The Regions tab: theme × region table (articles, or share of coverage) and a bar chart of the
theme under the cursor across regions. Enter on a cell opens the articles behind it."""

from __future__ import annotations

from typing import Any

import polars as pl
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widget import Widget
from textual.widgets import Static

from store.viewspec import ViewSpec
from tui.datatable import DataTable
from tui.messages import DrillDown
from tui.sparkline import bar
from tui.tabs import TabBase, fmt_count, fmt_share
from tui.textsafe import clean, literal

SHORT_REGION = {
    "Africa": "Africa",
    "Middle East & North Africa": "MENA",
    "Europe": "Europe",
    "North America": "N America",
    "Latin America & Caribbean": "LatAm",
    "East Asia": "E Asia",
    "Southeast Asia": "SE Asia",
    "South Asia": "S Asia",
    "Central Asia": "C Asia",
    "Pacific": "Pacific",
}


class RegionsTab(TabBase):
    """theme × region table + bars (see tabs_api: `show(spec, regions)`)."""

    DEFAULT_CSS = """
    RegionsTab #regions-table { height: auto; max-height: 55%; }
    RegionsTab #regions-bars-box { height: 1fr; min-height: 4; }
    RegionsTab #regions-bars { height: auto; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id, classes=classes)
        self.spec = ViewSpec()
        self.themes: list[str] = []
        self.regions: list[str] = []
        self.values: dict[tuple[str, str], float] = {}
        self.counts: dict[tuple[str, str], int] = {}

    def compose_body(self) -> ComposeResult:
        yield DataTable(id="regions-table", classes="tab-body", cursor_type="cell",
                        zebra_stripes=True)
        with VerticalScroll(id="regions-bars-box", classes="tab-body", can_focus=False):
            yield Static(literal(""), id="regions-bars")

    def focus_target(self) -> Widget | None:
        return self.query_one("#regions-table", DataTable)

    @property
    def metric(self) -> str:
        """The number the table shows: share when the view's metric is share, else articles."""
        return "share" if self.spec.metric == "share" else "articles"

    def show(self, spec: ViewSpec, regions: pl.DataFrame) -> None:
        """Fill the table from `regions` (theme, region, articles, total, share)."""
        self.spec = spec
        self.themes = regions["theme"].unique(maintain_order=True).to_list()
        self.regions = regions["region"].unique(maintain_order=True).to_list()
        self.values = {(r["theme"], r["region"]): float(r[self.metric] or 0)
                       for r in regions.iter_rows(named=True)}
        self.counts = {(r["theme"], r["region"]): int(r["articles"] or 0)
                       for r in regions.iter_rows(named=True)}
        if regions.is_empty():
            self.show_message("No articles match this view — widen the dates or clear filters (x).")
            return
        self.show_body()
        table = self.query_one("#regions-table", DataTable)
        table.clear(columns=True)
        table.add_column(Text("theme"), key="theme")
        for region in self.regions:
            table.add_column(literal(SHORT_REGION.get(region, region)), key=region)
        for theme in self.themes:
            cells = [self._cell(theme, region) for region in self.regions]
            table.add_row(literal(theme), *cells, key=theme)
        table.size_columns()
        self._draw_bars(self.themes[0] if self.themes else None, None)

    def _cell(self, theme: str, region: str) -> Text:
        value = self.values.get((theme, region), 0.0)
        text = fmt_share(value) if self.metric == "share" else fmt_count(int(value))
        return Text(text, justify="right")

    def _draw_bars(self, theme: str | None, region: str | None) -> None:
        bars = self.query_one("#regions-bars", Static)
        if theme is None:
            bars.update(literal(""))
            return
        values = [self.values.get((theme, r), 0.0) for r in self.regions]
        top = max(values, default=0.0)
        label = "share of coverage" if self.metric == "share" else "articles"
        out = Text(no_wrap=True, end="")
        out.append(f"{clean(theme)} — {label} by region", style="bold")
        # two columns of short names when the tab has no room for a line per region
        columns = 2 if self.size.height < len(self.themes) + len(self.regions) + 5 else 1
        names = [clean(SHORT_REGION.get(r, r) if columns == 2 else r) for r in self.regions]
        name_width = max((len(n) for n in names), default=0)
        cell = max((self.size.width or 80) // columns - 2, 30)
        width = max(cell - name_width - 12, 6)
        per_column = -(-len(self.regions) // columns)
        for line in range(per_column):
            out.append("\n")
            for col in range(columns):
                index = col * per_column + line
                if index >= len(self.regions):
                    break
                value = values[index]
                number = fmt_share(value) if self.metric == "share" else fmt_count(int(value))
                drawn = bar(value, top, width, ascii_only=self.ascii_only)
                if col:
                    out.append("  ")
                out.append(names[index].ljust(name_width),
                           style="reverse" if self.regions[index] == region else "")
                out.append(" " + number.rjust(9) + " ")
                out.append(drawn.ljust(width) if col + 1 < columns else drawn, style="bold")
        bars.update(out)

    def on_resize(self) -> None:
        table = self.query_one("#regions-table", DataTable)
        if self.themes and table.row_count:
            self._draw_bars(*self._at(min(table.cursor_row, len(self.themes) - 1),
                                      table.cursor_column))

    def _at(self, row: int, column: int) -> tuple[str, str | None]:
        theme = self.themes[row]
        region = self.regions[column - 1] if column >= 1 else None
        return theme, region

    @on(DataTable.CellHighlighted, "#regions-table")
    def _highlighted(self, event: DataTable.CellHighlighted) -> None:
        if self.themes and 0 <= event.coordinate.row < len(self.themes):
            self._draw_bars(*self._at(event.coordinate.row, event.coordinate.column))

    @on(DataTable.CellSelected, "#regions-table")
    def _selected(self, event: DataTable.CellSelected) -> None:
        event.stop()
        if self.themes and 0 <= event.coordinate.row < len(self.themes):
            self.post_message(self.drill(*self._at(event.coordinate.row,
                                                    event.coordinate.column)))

    def drill(self, theme: str, region: str | None) -> DrillDown:
        """The drill-down into the articles of a theme (in a region, or in the view's regions)."""
        regions = (region,) if region else self.spec.regions
        spec = self.spec.replace(themes=(theme,), regions=regions, table="articles")
        return DrillDown(spec, clean(f"{theme} · {region}" if region else theme))

    def cell_texts(self) -> list[list[Any]]:
        """What the table shows, row by row (for tests and screenshots)."""
        table = self.query_one("#regions-table", DataTable)
        return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
