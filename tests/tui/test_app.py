"""The dashboard opens on a database, shows the Trends plot and table, reloads and quits with q."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable, Static
from textual_plotext import PlotextPlot

from importers.demo import build_sample_database
from store.db import reading
from tui.app import DashboardApp, monthly_top_themes


@pytest.fixture(scope="module")
def small_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("db") / "small.duckdb"
    build_sample_database(path, 2000, 3)
    return path


@pytest.mark.parametrize("size", [(80, 24), (120, 36)])
async def test_opens_shows_plot_and_table_and_quits(small_db: Path, size: tuple[int, int]) -> None:
    app = DashboardApp(db_path=small_db)
    async with app.run_test(size=size) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.query_one("#plot", PlotextPlot)
        table = app.query_one("#series", DataTable)
        with reading(small_db) as con:
            rows = monthly_top_themes(con)
        themes = {t for t, _, _ in rows}
        assert len(themes) == 6
        assert table.row_count == 6
        shown = {str(table.get_row_at(i)[0]) for i in range(table.row_count)}
        assert shown == themes
        totals = {t: 0 for t in themes}
        for t, _, n in rows:
            totals[t] += n
        first = table.get_row_at(0)
        assert first[1] == f"{totals[str(first[0])]:,}"
        assert "small.duckdb" in str(app.query_one("#header", Static).render())
        await pilot.press("R")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert table.row_count == 6
        await pilot.press("q")
    assert app.return_code == 0


async def test_missing_database_reported_on_status_line(tmp_path: Path) -> None:
    app = DashboardApp(db_path=tmp_path / "absent.duckdb")
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        status = str(app.query_one("#status", Static).render())
        assert status and status != "loading…"
        await pilot.press("q")


async def test_header_says_demo_data_on_the_demo_database(small_db: Path) -> None:
    app = DashboardApp(db_path=small_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "demo data" in str(app.query_one("#header", Static).render())
        await pilot.press("q")


async def test_new_import_is_reported_and_r_reloads(tmp_path: Path) -> None:
    path = tmp_path / "grow.duckdb"
    build_sample_database(path, 500, 1)
    app = DashboardApp(db_path=path)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        build_sample_database(path, 800, 2)
        app.poll_new_data()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "new data" in str(app.query_one("#status", Static).render())
        await pilot.press("R")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "ready" in str(app.query_one("#status", Static).render())
        await pilot.press("q")


async def test_help_lists_every_key(small_db: Path) -> None:
    from textual.widgets import DataTable as Table

    from tui.screens.help import HelpScreen

    app = DashboardApp(db_path=small_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        table = app.screen.query_one("#help-table", Table)
        listed = {str(table.get_row_at(i)[1]) for i in range(table.row_count)}
        assert {"Quit", "Reload", "Help", "Command palette"} <= listed
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)
        await pilot.press("q")


async def test_palette_offers_reload_and_help(small_db: Path) -> None:
    app = DashboardApp(db_path=small_db)
    async with app.run_test(size=(80, 24)) as pilot:
        titles = {c.title for c in app.get_system_commands(app.screen)}
        assert {"Reload", "Help", "Quit"} <= titles
        await pilot.press("q")


@pytest.mark.parametrize("ascii_only", [False, True])
async def test_ascii_mode_draws_no_braille(small_db: Path, ascii_only: bool) -> None:
    app = DashboardApp(db_path=small_db, ascii_only=ascii_only)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        svg = app.export_screenshot()
        braille = any("\u2800" <= ch <= "\u28ff" for ch in svg)
        assert braille is not ascii_only
        await pilot.press("q")
