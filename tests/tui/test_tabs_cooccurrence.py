"""The Co-occurrence tab: pairs with shared articles and Jaccard, matrix, Enter applies a pair."""

from __future__ import annotations

import polars as pl
import pytest
from tabs_helpers import TabApp, screen_text

from store.viewspec import ViewSpec
from tui.tabs.cooccurrence import CooccurrenceTab

SIZES = [(80, 24), (120, 36)]


def cooc(rows: list[tuple[str, str, int, float]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={"theme_a": pl.String, "theme_b": pl.String,
                                      "articles": pl.Int64, "jaccard": pl.Float64}, orient="row")


FRAME = cooc([("a", "b", 10, 0.1), ("a", "c", 1200, 0.5), ("b", "c", 0, 0.0)])


@pytest.mark.parametrize("size", SIZES)
async def test_pairs_largest_first(size: tuple[int, int]) -> None:
    tab = CooccurrenceTab(id="cooccurrence")
    app = TabApp(tab)
    async with app.run_test(size=size) as pilot:
        tab.show(ViewSpec(table="cooccurrence"), FRAME)
        await pilot.pause()
        rows = tab.cell_texts()
        assert [r[:4] for r in rows] == [["a", "c", "1,200", "0.500"], ["a", "b", "10", "0.100"],
                                         ["b", "c", "0", "0.000"]]
        assert len(rows[0][4]) == 20 and rows[2][4] == ""
        screen = screen_text(app)
        assert "3 pairs of 3 themes" in screen and "1,200" in screen


async def test_enter_applies_pair_and_matrix() -> None:
    tab = CooccurrenceTab(id="cooccurrence")
    app = TabApp(tab, ascii_only=True)
    spec = ViewSpec(table="cooccurrence", regions=("Africa",))
    async with app.run_test(size=(80, 24)) as pilot:
        tab.show(spec, FRAME)
        await pilot.pause()
        assert "#" in screen_text(app) and "█" not in screen_text(app)
        await pilot.press("down", "enter")
        await pilot.pause()
        (applied,) = app.applied
        assert applied.spec == spec.replace(themes=("a", "b"))
        await pilot.press("v")
        await pilot.pause()
        assert tab.cell_texts() == [["1 a", "—", "0.10", "0.50"], ["2 b", "0.10", "—", "0.00"],
                                    ["3 c", "0.50", "0.00", "—"]]
        await pilot.press("down", "right", "right", "right", "enter")
        await pilot.pause()
        assert app.applied[-1].spec == spec.replace(themes=("b", "c"))


async def test_hostile_and_empty() -> None:
    tab = CooccurrenceTab(id="cooccurrence")
    app = TabApp(tab)
    async with app.run_test(size=(120, 36)) as pilot:
        tab.show(ViewSpec(), cooc([("[bold]x[/bold]", "\x1b]52;c;ZXZpbA==\x07", 3, 0.3),
                                   ("[bold]x[/bold]", "\x1b[31mred", 1, 0.1)]))
        await pilot.pause()
        screen = screen_text(app)
        assert "[bold]x[/bold]" in screen and "\\x1b]52;c;ZXZpbA==\\x07" in screen
        assert "\\x1b[31mred" in screen and "\x1b" not in screen
        tab.show(ViewSpec(), cooc([]))
        await pilot.pause()
        assert "needs at least two themes" in screen_text(app)
