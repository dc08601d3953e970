"""The tabs fed with real `store.aggregate` frames from the demo database show the same numbers."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from dashboard_helpers import small_db
from tabs_helpers import TabApp, screen_text
from textual.widgets import DataTable

from store import aggregate
from store.db import reading
from store.viewspec import ViewSpec
from tui.plotting import TrendPlot
from tui.screens.detail import ArticleDetailScreen
from tui.tabs import fmt_count, fmt_share
from tui.tabs.articles import ArticlesTab, ArticleTable
from tui.tabs.cooccurrence import CooccurrenceTab
from tui.tabs.regions import SHORT_REGION, RegionsTab
from tui.tabs.trends import TrendsTab


@pytest.fixture(scope="module")
def db() -> Path:
    return small_db()


def read(db: Path, query: Any) -> Any:
    with reading(db) as con:
        return query(con)


@pytest.mark.parametrize("metric", ["count", "share", "tone"])
async def test_trends_by_region_from_the_store(db: Path, metric: str) -> None:
    spec = ViewSpec(themes=("united-front", "belt-and-road"), by_region=True, every="quarter",
                    metric=metric, smooth=2 if metric == "share" else 1)
    trends, spikes = read(db, lambda con: (aggregate.trends(con, spec), aggregate.spikes(
        con, spec.replace(table="spikes"))))
    tab = TrendsTab(id="trends")
    app = TabApp(tab)
    async with app.run_test(size=(120, 36)) as pilot:
        tab.show(spec, trends, spikes)
        await pilot.pause()
        series = trends.select("theme", "region").unique(maintain_order=True).rows()
        assert [(r.theme, r.region) for r in tab.rows] == series
        first = trends.filter((pl.col("theme") == series[0][0])
                              & (pl.col("region") == series[0][1]))
        assert tab.rows[0].articles == first["articles"].sum()
        table = tab.query_one("#trends-table", DataTable)
        assert str(table.get_row_at(0)[3]) == fmt_count(first["articles"].sum())
        plot = tab.query_one(TrendPlot)
        assert len(plot.series) == min(8, len(series)) and plot.builds == 1
        assert ("not drawn" in screen_text(app)) == (len(series) > 8)


async def test_regions_from_the_store(db: Path) -> None:
    spec = ViewSpec(table="regions", since="2020-01-01")
    frame = read(db, lambda con: aggregate.regions(con, spec))
    tab = RegionsTab(id="regions")
    app = TabApp(tab)
    async with app.run_test(size=(120, 36)) as pilot:
        tab.show(spec, frame)
        await pilot.pause()
        row = frame.row(0, named=True)
        table = tab.query_one("#regions-table", DataTable)
        column = tab.regions.index(row["region"]) + 1
        assert str(table.get_row_at(0)[column]) == fmt_count(row["articles"])
        assert str(table.ordered_columns[column].label) == SHORT_REGION[row["region"]]
        tab.show(spec.replace(metric="share"), frame)
        await pilot.pause()
        assert str(table.get_row_at(0)[column]) == fmt_share(row["share"])


async def test_articles_from_the_store(db: Path) -> None:
    spec = ViewSpec(table="articles", themes=("united-front",))
    keys = read(db, lambda con: aggregate.article_keys(con, spec))
    expected = read(db, lambda con: aggregate.articles(con, spec, limit=3))
    fetched: list[int] = []

    def fetch(aids: Sequence[int]) -> pl.DataFrame:
        fetched.extend(aids)
        return read(db, lambda con: aggregate.articles_page(con, aids))

    def detail(article_id: str) -> dict[str, Any] | None:
        return read(db, lambda con: aggregate.article_detail(con, article_id))

    tab = ArticlesTab(id="articles")
    app = TabApp(tab)
    async with app.run_test(size=(120, 36)) as pilot:
        tab.show(spec, keys, fetch, detail)
        await pilot.pause()
        assert len(fetched) <= 36 < len(keys)
        for title in expected["title"]:
            assert title[:20] in screen_text(app)
        tab.query_one(ArticleTable).focus()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ArticleDetailScreen)
        assert app.screen.record["id"] == expected["id"][0]
        assert "united-front" in screen_text(app)
        await pilot.press("c")
        assert app.copied == [expected["url"][0]]


async def test_cooccurrence_from_the_store(db: Path) -> None:
    spec = ViewSpec(table="cooccurrence")
    frame = read(db, lambda con: aggregate.cooccurrence(con, spec))
    tab = CooccurrenceTab(id="cooccurrence")
    app = TabApp(tab)
    async with app.run_test(size=(80, 24)) as pilot:
        tab.show(spec, frame)
        await pilot.pause()
        top = frame.sort(["articles", "jaccard"], descending=True).row(0)
        assert tab.cell_texts()[0][:4] == [top[0], top[1], fmt_count(top[2]), f"{top[3]:.3f}"]
        await pilot.press("enter")
        await pilot.pause()
        assert app.applied[0].spec.themes == (top[0], top[1])
