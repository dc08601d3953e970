"""The Articles tab: every matching article, newest first, in a virtualised table.

The app hands over the keys of the matching articles (a `pl.Series` of `aid`s in display order)
and a `fetch(aids)` callable; the table asks its backend only for the rows on screen, and the
backend reads just those (plus nothing else) through `fetch`, keeping a bounded cache. Ten million
keys are 80 MB and scroll to the end as fast as ten.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, ClassVar, Literal

import polars as pl
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Static
from textual_fastdatatable import DataTableBackend
from textual_fastdatatable.data_table import DataTable as FastDataTable

from store.viewspec import ViewSpec
from tui.tabs import TabBase
from tui.textsafe import clean, literal

Fetch = Callable[[Sequence[int]], pl.DataFrame]
Detail = Callable[[str], "dict[str, Any] | None"]

COLUMNS = ("published", "source", "title", "themes", "regions")
FIXED_WIDTHS = {"published": 16, "source": 16, "themes": 24, "regions": 16}
MIN_TITLE = 30
CACHE_ROWS = 2000  # rows kept after they scroll away (a few screens' worth)


def _published(value: object) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return clean(value)


class ArticleRows(DataTableBackend[pl.Series]):
    """A read-only fastdatatable backend over article keys that fetches rows on demand.

    Only `ensure(first, last)` and a cache miss in `get_cell_at` read rows, always a contiguous
    span of keys in one `fetch` call. `fetch_calls` and `rows_fetched` count the reads.
    """

    def __init__(self, data: pl.Series, max_rows: int | None = None,
                 column_names: Sequence[str] | None = None, *,
                 fetch: Fetch | None = None, widths: Sequence[int] | None = None) -> None:
        self._render_markup = None
        keys = data if max_rows is None else data.head(max_rows)
        self.keys = keys.cast(pl.Int64)
        self._source = data
        self.fetch = fetch if fetch is not None else _no_rows
        self._labels = tuple(column_names) if column_names is not None else COLUMNS
        self._widths = list(widths) if widths is not None else [20] * len(self._labels)
        self._cache: OrderedDict[int, tuple[str, ...]] = OrderedDict()
        self.fetch_calls = 0
        self.rows_fetched = 0

    @classmethod
    def from_pydict(cls, data: Mapping[str, Sequence[Any]], max_rows: int | None = None,
                    column_names: Sequence[str] | None = None) -> ArticleRows:
        """Rows given in full (an `aid` column and the display columns) — for small tables."""
        frame = pl.DataFrame(dict(data))
        by_aid = {row["aid"]: row for row in frame.iter_rows(named=True)}

        def fetch(aids: Sequence[int]) -> pl.DataFrame:
            return pl.DataFrame([by_aid[a] for a in aids], schema=frame.schema)

        return cls(frame["aid"], max_rows, column_names, fetch=fetch)

    # -- shape ------------------------------------------------------------------------------

    @property
    def source_data(self) -> pl.Series:
        return self._source

    @property
    def source_row_count(self) -> int:
        return len(self._source)

    @property
    def row_count(self) -> int:
        return len(self.keys)

    @property
    def columns(self) -> Sequence[str]:
        return self._labels

    @property
    def column_content_widths(self) -> Sequence[int]:
        """Fixed widths: measuring would mean reading every row."""
        return self._widths

    def set_widths(self, widths: Sequence[int]) -> None:
        """The column widths to report (the tab sizes the title to the screen)."""
        self._widths = list(widths)

    # -- reading ----------------------------------------------------------------------------

    def ensure(self, first: int, last: int) -> None:
        """Have rows `first`..`last` (inclusive) in the cache, reading the missing ones at once."""
        first, last = max(first, 0), min(last, self.row_count - 1)
        missing = [i for i in range(first, last + 1) if i not in self._cache]
        if not missing:
            for i in range(first, last + 1):
                self._cache.move_to_end(i)
            return
        lo, hi = missing[0], missing[-1]
        aids = self.keys.slice(lo, hi - lo + 1).to_list()
        frame = self.fetch(aids)
        self.fetch_calls += 1
        self.rows_fetched += len(aids)
        by_aid = {row["aid"]: row for row in _with_aid(frame, aids).iter_rows(named=True)}
        for offset, aid in enumerate(aids):
            self._cache[lo + offset] = _display(by_aid.get(aid))
        for i in range(first, last + 1):
            self._cache.move_to_end(i)
        while len(self._cache) > CACHE_ROWS:
            self._cache.popitem(last=False)

    def row(self, index: int) -> tuple[str, ...]:
        """The cached display row (published, source, title, themes, regions, id, url)."""
        if index not in self._cache:
            self.ensure(index, index)
        return self._cache[index]

    def get_row_at(self, index: int) -> Sequence[Any]:
        return list(self.row(index)[: len(self._labels)])

    def get_column_at(self, index: int) -> Sequence[Any]:
        """Every value of a column, read a screenful at a time (slow for millions of rows)."""
        out = []
        for start in range(0, self.row_count, 500):
            self.ensure(start, start + 499)
            out.extend(self._cache[i][index] for i in range(start,
                                                             min(start + 500, self.row_count)))
        return out

    def get_cell_at(self, row_index: int, column_index: int) -> Any:
        return self.row(row_index)[column_index]

    # -- the article list is the view's: it is never edited or re-sorted in the table -------

    def append_column(self, label: str, default: Any | None = None) -> int:
        raise TypeError("the article list is read-only")

    def append_rows(self, records: Iterable[Iterable[Any]]) -> list[int]:
        raise TypeError("the article list is read-only")

    def drop_row(self, row_index: int) -> None:
        raise TypeError("the article list is read-only")

    def update_cell(self, row_index: int, column_index: int, value: Any) -> None:
        raise TypeError("the article list is read-only")

    def sort(self, by: list[tuple[str, Literal["ascending", "descending"]]] | str) -> None:
        raise TypeError("articles are listed newest first; the order is the view's")


def _no_rows(aids: Sequence[int]) -> pl.DataFrame:
    return pl.DataFrame({"aid": list(aids)}, schema={"aid": pl.Int64})


def _with_aid(frame: pl.DataFrame, aids: list[int]) -> pl.DataFrame:
    """`fetch` returns rows in the order asked; pair them with their keys."""
    if "aid" in frame.columns:
        return frame
    if frame.height != len(aids):
        raise ValueError(f"fetch returned {frame.height} rows for {len(aids)} keys")
    return frame.with_columns(pl.Series("aid", aids, dtype=pl.Int64))


def _display(row: dict[str, Any] | None) -> tuple[str, ...]:
    if row is None:
        return ("", "", "(article no longer in the database)", "", "", "", "")
    return (
        _published(row.get("published")),
        clean(row.get("source")),
        clean(row.get("title")),
        clean(row.get("themes")).replace(";", ", "),
        clean(row.get("regions")).replace(";", ", "),
        clean(row.get("id")),
        clean(row.get("url")),
    )


class ArticleTable(FastDataTable):
    """The fastdatatable widget, reading exactly the rows about to be drawn in one fetch."""

    def set_column_widths(self, widths: Sequence[int]) -> None:
        """Give the columns new widths in place (cursor, scroll and rows read are kept)."""
        self._column_widths = list(widths)
        self._ordered_columns = None
        self._clear_caches()
        self._update_dimensions([])
        self.refresh()

    def render_lines(self, crop: Region) -> list[Strip]:
        backend = self.backend
        if isinstance(backend, ArticleRows) and backend.row_count:
            header = self.header_height if self.show_header else 0
            scroll_y = int(self.scroll_offset.y)
            first = scroll_y + max(crop.y - header, 0)
            last = scroll_y + crop.bottom - 1 - header
            if last >= first:
                backend.ensure(first, last)
        return super().render_lines(crop)

    def action_cursor_table_end(self, select: bool = False) -> None:
        """Jump to the last row without animating through the rows in between."""
        self._set_hover_cursor(False)
        self._set_selection_anchor(select)
        self.cursor_coordinate = self.cursor_coordinate._replace(row=self.row_count - 1)
        self._scroll_cursor_into_view(animate=False)

    def action_cursor_table_start(self, select: bool = False) -> None:
        """Jump to the first row without animating."""
        self._set_hover_cursor(False)
        self._set_selection_anchor(select)
        self.cursor_coordinate = self.cursor_coordinate._replace(row=0)
        self._scroll_cursor_into_view(animate=False)


class ArticlesTab(TabBase):
    """The matching articles (see tabs_api: `show(spec, keys, fetch, detail)`)."""

    DEFAULT_CSS = """
    ArticlesTab #articles-note { height: 1; color: $text-muted; }
    ArticlesTab ArticleTable { height: 1fr; max-height: 100%; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "copy_url", "Copy URL", tooltip="Copy the article's URL (OSC 52)",
                id="articles-copy-url"),
    ]

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id, classes=classes)
        self.spec = ViewSpec(table="articles")
        self.keys = pl.Series("aid", [], dtype=pl.Int64)
        self.rows: ArticleRows | None = None
        self.detail: Detail | None = None

    def compose_body(self) -> ComposeResult:
        yield Static(literal(""), id="articles-note", classes="tab-body")

    def focus_target(self) -> Widget | None:
        tables = self.query(ArticleTable)
        return tables.first() if tables else None

    def show(self, spec: ViewSpec, keys: pl.Series, fetch: Fetch, detail: Detail) -> None:
        """List the articles with these keys (display order), reading rows through `fetch`."""
        self.spec = spec
        self.keys = keys
        self.detail = detail
        had_focus = any(t.has_focus for t in self.query(ArticleTable))
        for old in self.query(ArticleTable):
            old.remove()
        if len(keys) == 0:
            self.rows = None
            self.show_message("No articles match this view — widen the dates or clear filters (x).")
            return
        self.show_body()
        self.rows = ArticleRows(keys, fetch=fetch, widths=self._widths())
        table = self._table(self.rows)
        self.mount(table)
        n = len(keys)
        self.query_one("#articles-note", Static).update(literal(
            f"{n:,} article{'s' if n != 1 else ''}, newest first · Enter: details · c: copy URL"))
        if had_focus or (self.screen.focused is None and self.region.area):
            table.focus()

    def _table(self, rows: ArticleRows) -> ArticleTable:
        return ArticleTable(backend=rows, column_widths=list(rows.column_content_widths),
                            cursor_type="row", render_markup=False, zebra_stripes=True,
                            classes="tab-body")

    def on_resize(self) -> None:
        """Give the title the room the new width has."""
        rows = self.rows
        widths = self._widths()
        if rows is None or not self.size.width or list(rows.column_content_widths) == widths:
            return
        rows.set_widths(widths)
        for table in self.query(ArticleTable):
            table.set_column_widths(widths)

    def _widths(self) -> list[int]:
        fixed = sum(FIXED_WIDTHS.values()) + 2 * len(COLUMNS) + 2
        title = max(MIN_TITLE, (self.size.width or 80) - fixed)
        return [FIXED_WIDTHS.get(c, title) for c in COLUMNS]

    # -- actions ----------------------------------------------------------------------------

    def _current(self) -> tuple[str, ...] | None:
        tables = self.query(ArticleTable)
        if self.rows is None or not tables or not self.rows.row_count:
            return None
        return self.rows.row(tables.first().cursor_row)

    def action_copy_url(self) -> None:
        """Copy the URL of the article under the cursor to the clipboard (OSC 52)."""
        row = self._current()
        if row is None:
            return
        url = row[6]
        if not url:
            self.app.notify("This article has no URL.", severity="warning")
            return
        self.app.copy_to_clipboard(url)
        self.app.notify(f"Copied {url}", title="URL copied (OSC 52)", markup=False)

    @on(FastDataTable.RowSelected)
    def _selected(self, event: FastDataTable.RowSelected) -> None:
        event.stop()
        if self.rows is None or self.detail is None:
            return
        article_id = self.rows.row(event.cursor_row)[5]
        from tui.screens.detail import ArticleDetailScreen

        record = self.detail(article_id)
        if record is None:
            self.app.notify(f"Article {article_id} is no longer in the database.",
                            severity="warning", markup=False)
            return
        self.app.push_screen(ArticleDetailScreen(record))
