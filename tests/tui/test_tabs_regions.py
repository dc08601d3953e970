"""The Regions tab: theme × region numbers, bars of the theme under the cursor, drill-down."""

from __future__ import annotations

import polars as pl
import pytest
from tabs_helpers import TabApp, screen_text

from store.viewspec import ViewSpec
from tui.tabs.regions import RegionsTab

SIZES = [(80, 24), (120, 36)]


def regions_frame(themes: list[str], regions: list[str],
                  counts: list[list[int]], total: int = 1000) -> pl.DataFrame:
    rows = [
        {"theme": t, "region": r, "articles": counts[i][j], "total": total,
         "share": counts[i][j] / total}
        for i, t in enumerate(themes) for j, r in enumerate(regions)
    ]
    return pl.DataFrame(rows).with_columns(pl.col("articles").cast(pl.Int64),
                                           pl.col("total").cast(pl.Int64))


FRAME = regions_frame(["united-front", "confucius"], ["Africa", "Europe", "East Asia"],
                      [[1200, 30, 600], [5, 50, 0]])


@pytest.mark.parametrize("size", SIZES)
async def test_table_and_bars(size: tuple[int, int]) -> None:
    tab = RegionsTab(id="regions")
    app = TabApp(tab)
    async with app.run_test(size=size) as pilot:
        tab.show(ViewSpec(table="regions"), FRAME)
        await pilot.pause()
        assert tab.cell_texts() == [["united-front", "1,200", "30", "600"],
                                    ["confucius", "5", "50", "0"]]
        screen = screen_text(app)
        assert "E Asia" in screen
        assert "united-front — articles by region" in screen
        lines = {line.split()[0]: line for line in screen.splitlines()
                 if line.startswith(("Africa ", "Europe ", "East Asia "))}
        assert lines["Africa"].count("█") > lines["East"].count("█") > lines["Europe"].count("█")
        await pilot.press("down")  # the bars follow the cursor to the next theme
        await pilot.pause()
        screen = screen_text(app)
        assert "confucius — articles by region" in screen


async def test_share_metric_and_ascii_bars() -> None:
    tab = RegionsTab(id="regions")
    app = TabApp(tab, ascii_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        tab.show(ViewSpec(table="regions", metric="share"), FRAME)
        await pilot.pause()
        assert tab.cell_texts()[0] == ["united-front", "120.00%", "3.00%", "60.00%"]
        screen = screen_text(app)
        assert "share of coverage by region" in screen
        assert "#" in screen and "█" not in screen


async def test_enter_on_cell_drills_down() -> None:
    tab = RegionsTab(id="regions")
    app = TabApp(tab)
    spec = ViewSpec(table="regions", sources=("Xinhua",))
    async with app.run_test(size=(80, 24)) as pilot:
        tab.show(spec, FRAME)
        await pilot.pause()
        await pilot.press("down", "right", "right", "enter")
        await pilot.pause()
    (drill,) = app.drills
    assert drill.spec == spec.replace(themes=("confucius",), regions=("Europe",),
                                      table="articles")
    assert drill.title == "confucius · Europe"


async def test_hostile_text_literal_and_error() -> None:
    tab = RegionsTab(id="regions")
    app = TabApp(tab)
    names = ["[bold]x[/bold]", "\x1b]52;c;ZXZpbA==\x07", "\x1b[31mred"]
    async with app.run_test(size=(120, 36)) as pilot:
        tab.show(ViewSpec(), regions_frame(names, ["Africa"], [[1], [2], [3]]))
        await pilot.pause()
        screen = screen_text(app)
        assert "[bold]x[/bold]" in screen and "\\x1b[31mred" in screen
        assert "\\x1b]52;c;ZXZpbA==\\x07" in screen
        assert "\x1b" not in screen
        tab.show_error("[red]boom")
        await pilot.pause()
        assert "Could not read the data: [red]boom" in screen_text(app)


async def test_all_regions_fit_at_80x24_in_two_columns() -> None:
    from store.taxonomy import REGIONS

    tab = RegionsTab(id="regions")
    app = TabApp(tab)
    themes = [f"theme-{i}" for i in range(8)]
    frame = regions_frame(themes, list(REGIONS), [[10 * (j + 1) for j in range(10)]] * 8)
    async with app.run_test(size=(80, 18)) as pilot:  # the room the tab has in the dashboard
        tab.show(ViewSpec(table="regions"), frame)
        await pilot.pause()
        screen = screen_text(app)
        for short in ("Africa", "MENA", "Europe", "N America", "LatAm", "E Asia", "SE Asia",
                      "S Asia", "C Asia", "Pacific"):
            assert f"{short} " in screen.split("by region", 1)[1], short
        assert "Pacific         100 " in screen


async def test_tab_coming_into_view_takes_the_keyboard_when_nothing_has_it() -> None:
    from textual.app import App, ComposeResult
    from textual.widgets import TabbedContent, TabPane

    class Tabs(App[None]):
        def compose(self) -> ComposeResult:
            with TabbedContent():
                with TabPane("a", id="a"):
                    yield RegionsTab(id="regions")
                with TabPane("b", id="b"):
                    yield RegionsTab(id="other")

    app = Tabs()
    async with app.run_test(size=(80, 24)) as pilot:
        app.set_focus(None)
        app.query_one(TabbedContent).active = "b"
        await pilot.pause()
        assert app.focused is app.query_one("#other #regions-table")
