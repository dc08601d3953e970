"""Export from the dashboard (e): the dialog, the file, overwrite confirmation, and byte equality
with `softpower-tui export` for the same view and table."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from dashboard_helpers import settle, small_db
from textual.widgets import Input, Static

from store.viewspec import ViewSpec
from tui.app import DashboardApp
from tui.cli import main
from tui.screens.dialog import ConfirmScreen
from tui.screens.export import ExportScreen, with_format

NOW = datetime(2026, 3, 4, 5, 6, 7)


@pytest.fixture(scope="session")
def db() -> Path:
    return small_db()


def make_app(db: Path, cwd: Path, view: ViewSpec | None = None) -> DashboardApp:
    return DashboardApp(
        db_path=db, poll_seconds=0, preload_delay=0, cwd=cwd, config_path=cwd / "cfg",
        clock=lambda: NOW, view=view)


def cli_export(db: Path, out: Path, *args: str) -> bytes:
    result = CliRunner().invoke(main, ["export", "--db", str(db), "-o", str(out), *args],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return out.read_bytes()


def status(app: DashboardApp) -> str:
    return str(app.query_one("#status", Static).render())


VIEW = ViewSpec(themes=("united-front", "state-media"), regions=("Africa", "Pacific"),
                since="2016-01-01", every="quarter", by_region=True, smooth=2, metric="share")
VIEW_FLAGS = ["--theme", "united-front", "--theme", "state-media", "--region", "Africa",
              "--region", "Pacific", "--since", "2016-01-01", "--every", "quarter",
              "--by-region", "--smooth", "2", "--metric", "share"]


@pytest.mark.parametrize(("key", "table"), [("1", "trends"), ("2", "regions"), ("3", "articles"),
                                            ("4", "cooccurrence")])
async def test_export_of_each_tab_equals_the_cli(db: Path, tmp_path: Path, key: str,
                                                 table: str) -> None:
    app = make_app(db, tmp_path, VIEW)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press(key)
        await settle(pilot)
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, ExportScreen)
        name = app.screen.query_one("#export-name", Input).value
        assert name == f"softpower-{table}-20260304-050607.csv"
        await pilot.press("enter")
        await settle(pilot)
        written = tmp_path / name
        assert written.exists()
        expected = cli_export(db, tmp_path / f"cli-{table}.csv", *VIEW_FLAGS, "--table", table)
        assert written.read_bytes() == expected
        rows = expected.count(b"\n") - 1
        full = written.resolve()
        assert f"wrote {rows:,} rows to {full.name} in {full.parent}" in status(app)
        assert any(f"wrote {rows:,} rows to {full}" == n.message for n in app._notifications)


async def test_export_formats_and_escape(db: Path, tmp_path: Path) -> None:
    app = make_app(db, tmp_path, VIEW)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("e")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ExportScreen)
        assert "export cancelled" in status(app)
        assert not list(tmp_path.glob("softpower-*"))
        await pilot.press("e")
        await pilot.pause()
        await pilot.press("tab", "right")  # the format buttons: csv → parquet
        await pilot.pause()
        name = app.screen.query_one("#export-name", Input).value
        assert name == "softpower-trends-20260304-050607.parquet"
        await pilot.press("enter")
        await settle(pilot)
        expected = cli_export(db, tmp_path / "cli.parquet", *VIEW_FLAGS, "--format", "parquet")
        assert (tmp_path / name).read_bytes() == expected


async def test_existing_file_is_not_overwritten_without_asking(db: Path, tmp_path: Path) -> None:
    target = tmp_path / "softpower-trends-20260304-050607.csv"
    target.write_text("keep me\n")
    app = make_app(db, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("e")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await settle(pilot)
        assert target.read_text() == "keep me\n"
        assert "not written" in status(app)
        await pilot.press("e")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        assert target.read_bytes() == cli_export(db, tmp_path / "cli.csv")


async def test_typed_name_is_relative_to_the_starting_directory(db: Path, tmp_path: Path) -> None:
    app = make_app(db, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("e")
        await pilot.pause()
        field = app.screen.query_one("#export-name", Input)
        field.value = "mine.json"
        await pilot.press("enter")
        await pilot.pause()
        await settle(pilot)  # a typed .json name is written as JSON
        assert (tmp_path / "mine.json").read_bytes() == cli_export(
            db, tmp_path / "cli.json", "--format", "json")
        field_error = tmp_path / "nodir" / "x.csv"
        await pilot.press("e")
        await pilot.pause()
        app.screen.query_one("#export-name", Input).value = str(field_error)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ExportScreen)
        assert "no directory" in str(app.screen.query_one("#export-error", Static).render())


def test_with_format_swaps_only_known_extensions() -> None:
    assert with_format("a.csv", "json") == "a.json"
    assert with_format("a.txt", "json") == "a.txt"
    assert with_format("softpower-x.parquet", "csv") == "softpower-x.csv"
