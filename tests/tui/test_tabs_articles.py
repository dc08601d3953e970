"""The Articles tab: a million keys scroll to the end reading only the rows shown; details; URL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import polars as pl
import pytest
from tabs_helpers import TabApp, screen_text

from store.viewspec import ViewSpec
from tui.screens.detail import ArticleDetailScreen
from tui.tabs.articles import CACHE_ROWS, ArticleRows, ArticlesTab, ArticleTable

SIZES = [(80, 24), (120, 36)]
HOSTILE = ["[bold]x[/bold]", "\x1b]52;c;ZXZpbA==\x07", "\x1b[31mred"]


class FakeStore:
    """`fetch` and `detail` over made-up articles; counts what is read."""

    def __init__(self, titles: dict[int, str] | None = None) -> None:
        self.calls: list[list[int]] = []
        self.titles = titles or {}

    def title(self, aid: int) -> str:
        return self.titles.get(aid, f"title of {aid}")

    def fetch(self, aids: Sequence[int]) -> pl.DataFrame:
        aids = list(aids)
        self.calls.append(aids)
        base = datetime(2024, 1, 1)
        return pl.DataFrame({
            "id": [f"art-{a}" for a in aids],
            "published": [base - timedelta(minutes=a) for a in aids],
            "source": ["Global Times" for _ in aids],
            "title": [self.title(a) for a in aids],
            "url": [f"https://example.org/{a}" for a in aids],
            "themes": ["confucius;united-front" for _ in aids],
            "regions": ["Africa;Europe" for _ in aids],
        })

    def detail(self, article_id: str) -> dict[str, Any] | None:
        aid = int(article_id.removeprefix("art-"))
        return {
            "id": article_id, "url": f"https://example.org/{aid}", "title": self.title(aid),
            "source": "Global Times", "published": datetime(2024, 1, 1), "source_country": "CN",
            "language": "en", "tone": -1.5, "summary": "A summary " + self.title(aid),
            "themes": ["confucius", "united-front"], "countries": ["KE", "FR"],
            "regions": ["Africa", "Europe"],
        }

    @property
    def rows(self) -> int:
        return sum(len(c) for c in self.calls)


def keys(n: int) -> pl.Series:
    return pl.Series("aid", range(n), dtype=pl.Int64) * 3 + 7  # keys are not row numbers


@pytest.mark.parametrize("size", SIZES)
async def test_million_keys_scroll_to_end_reading_only_visible_rows(
        size: tuple[int, int]) -> None:
    store = FakeStore()
    tab = ArticlesTab(id="articles")
    app = TabApp(tab)
    n = 1_000_000
    async with app.run_test(size=size) as pilot:
        tab.show(ViewSpec(table="articles"), keys(n), store.fetch, store.detail)
        await pilot.pause()
        table = tab.query_one(ArticleTable)
        table.focus()
        await pilot.pause()
        height = size[1]
        assert 0 < store.rows <= height
        assert store.calls[0][0] == 7
        assert "title of 7" in screen_text(app)
        assert "1,000,000 articles, newest first" in screen_text(app)
        before = store.rows
        await pilot.press("end")
        await pilot.pause()
        last = 7 + 3 * (n - 1)
        assert table.cursor_row == n - 1
        assert f"title of {last}" in screen_text(app)
        assert store.rows - before <= height  # only the last screenful was read
        assert all(len(call) <= height for call in store.calls)
        await pilot.press("ctrl+home")
        await pilot.pause()
        assert table.cursor_row == 0 and "title of 7" in screen_text(app)
        await pilot.press("ctrl+end")
        await pilot.pause()
        assert table.cursor_row == n - 1
        assert store.rows <= 4 * height
        assert len(tab.rows._cache) <= CACHE_ROWS  # type: ignore[union-attr]


async def test_paging_down_reads_each_screen_once() -> None:
    store = FakeStore()
    tab = ArticlesTab(id="articles")
    app = TabApp(tab)
    async with app.run_test(size=(80, 24)) as pilot:
        tab.show(ViewSpec(table="articles"), keys(10_000), store.fetch, store.detail)
        await pilot.pause()
        assert app.focused is tab.query_one(ArticleTable)  # the visible tab takes the keys
        for _ in range(5):
            await pilot.press("pagedown")
            await pilot.pause()
        read = [aid for call in store.calls for aid in call]
        assert len(read) == len(set(read))  # nothing read twice
        await pilot.press("pageup")
        await pilot.pause()
        assert len([a for c in store.calls for a in c]) == len(read)  # the screen above is cached


async def test_hostile_titles_literal() -> None:
    store = FakeStore({7: HOSTILE[0], 10: HOSTILE[1], 13: HOSTILE[2]})
    tab = ArticlesTab(id="articles")
    app = TabApp(tab)
    async with app.run_test(size=(120, 36)) as pilot:
        tab.show(ViewSpec(table="articles"), keys(3), store.fetch, store.detail)
        await pilot.pause()
        screen = screen_text(app)
        assert "[bold]x[/bold]" in screen
        assert "\\x1b]52;c;ZXZpbA==\\x07" in screen
        assert "\\x1b[31mred" in screen
        assert "\x1b" not in screen and "\x07" not in screen
        assert "2023-12-31 23:53" in screen and "confucius, united-front" in screen


async def test_enter_opens_detail_c_copies_escape_closes() -> None:
    store = FakeStore({10: HOSTILE[1]})
    tab = ArticlesTab(id="articles")
    app = TabApp(tab)
    async with app.run_test(size=(80, 24)) as pilot:
        tab.show(ViewSpec(table="articles"), keys(5), store.fetch, store.detail)
        await pilot.pause()
        tab.query_one(ArticleTable).focus()
        await pilot.press("down", "enter")
        await pilot.pause()
        assert isinstance(app.screen, ArticleDetailScreen)
        screen = screen_text(app)
        for expected in ("art-10", "https://example.org/10", "Global Times", "CN", "-1.50",
                         "confucius, united-front", "KE, FR", "Africa, Europe",
                         "A summary \\x1b]52;c;ZXZpbA==\\x07", "source country", "language"):
            assert expected in screen, expected
        assert "\x1b" not in screen
        await pilot.press("c")
        await pilot.pause()
        assert app.copied == ["https://example.org/10"]
        (note,) = list(app._notifications)
        assert note.title == "URL copied (OSC 52)" and "https://example.org/10" in note.message
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ArticleDetailScreen)
        await pilot.press("down", "c")  # also on the table
        await pilot.pause()
        assert app.copied[-1] == "https://example.org/13"


async def test_no_articles_and_error() -> None:
    store = FakeStore()
    tab = ArticlesTab(id="articles")
    app = TabApp(tab)
    async with app.run_test(size=(80, 24)) as pilot:
        tab.show(ViewSpec(table="articles"), keys(0), store.fetch, store.detail)
        await pilot.pause()
        assert "No articles match this view" in screen_text(app)
        assert store.calls == []
        tab.show(ViewSpec(table="articles"), keys(2), store.fetch, store.detail)
        await pilot.pause()
        assert "title of 10" in screen_text(app)
        tab.show_error("[b]locked")
        await pilot.pause()
        assert "Could not read the data: [b]locked" in screen_text(app)


def test_backend_is_read_only_and_reads_spans() -> None:
    store = FakeStore()
    rows = ArticleRows(keys(100), fetch=store.fetch)
    rows.ensure(10, 19)
    assert store.calls == [[7 + 3 * i for i in range(10, 20)]]
    assert rows.get_cell_at(15, 2) == "title of 52"
    assert len(store.calls) == 1
    rows.ensure(5, 24)  # only the missing span 5..24 around the cached rows
    assert store.calls[1][0] == 7 + 3 * 5 and store.calls[1][-1] == 7 + 3 * 24
    with pytest.raises(TypeError):
        rows.sort("title")
    with pytest.raises(TypeError):
        rows.append_rows([["x"]])


async def test_resize_widens_title_keeps_cursor_and_rows_read() -> None:
    store = FakeStore({10_000 * 3 + 7: "a very long title " * 6})
    tab = ArticlesTab(id="articles")
    app = TabApp(tab)
    async with app.run_test(size=(80, 24)) as pilot:
        tab.show(ViewSpec(table="articles"), keys(100_000), store.fetch, store.detail)
        await pilot.pause()
        table = tab.query_one(ArticleTable)
        table.focus()
        table.move_cursor(row=10_000)
        await pilot.pause()
        narrow = table.ordered_columns[2].width
        read = store.rows
        await pilot.resize_terminal(120, 36)
        await pilot.pause()
        table = tab.query_one(ArticleTable)
        assert table.ordered_columns[2].width > narrow
        assert table.cursor_row == 10_000 and table.has_focus
        assert store.rows - read <= 36  # the rows newly on screen only
        assert "a very long title a very long title" in screen_text(app)  # 35 > 30 columns
