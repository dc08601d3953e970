"""Saved views: s saves the view as views/NAME.toml, o opens one, --view FILE opens the dashboard
with one (errors name the file, exit 1, no traceback)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from dashboard_helpers import settle, small_db
from textual.widgets import Input, OptionList, Static

import tui.app
from store.viewspec import ViewSpec
from tui.app import DashboardApp
from tui.cli import main
from tui.screens.dialog import ConfirmScreen
from tui.screens.views import OpenViewScreen, SaveViewScreen, check_name, saved_views


@pytest.fixture(scope="session")
def db() -> Path:
    return small_db()


def make_app(db: Path, tmp_path: Path, view: ViewSpec | None = None) -> DashboardApp:
    return DashboardApp(
        db_path=db, poll_seconds=0, preload_delay=0, cwd=tmp_path, config_path=tmp_path / "cfg",
        view=view)


def status(app: DashboardApp) -> str:
    return str(app.query_one("#status", Static).render())


async def test_save_then_open_a_view(db: Path, tmp_path: Path) -> None:
    view = ViewSpec(themes=("united-front",), regions=("Pacific",), every="quarter",
                    metric="share", table="regions")
    app = make_app(db, tmp_path, view)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await pilot.pause()
        assert isinstance(app.screen, SaveViewScreen)
        await pilot.press(*"bad/name", "enter")
        await pilot.pause()
        assert isinstance(app.screen, SaveViewScreen)  # refused, with a reason
        assert "a name is" in str(app.screen.query_one("#view-error", Static).render())
        app.screen.query_one("#view-name", Input).value = ""
        await pilot.press(*"pacific", "enter")
        await settle(pilot)
        saved = tmp_path / "cfg" / "views" / "pacific.toml"
        assert ViewSpec.load(saved) == view
        assert str(saved) in status(app)
        await pilot.press("x", "g")
        await settle(pilot)
        assert app.spec != view
        await pilot.press("o")
        await pilot.pause()
        assert isinstance(app.screen, OpenViewScreen)
        assert app.screen.query_one("#views", OptionList).option_count == 1
        await pilot.press("enter")
        await settle(pilot)
        assert app.spec == view
        assert app.spec.table == "regions" and app.data["regions"]
        await pilot.press("u")
        await settle(pilot)
        assert app.spec == view.cleared().replace(every="year")


async def test_saving_over_a_view_asks_first(db: Path, tmp_path: Path) -> None:
    existing = tmp_path / "cfg" / "views" / "mine.toml"
    ViewSpec(themes=("censorship",)).save(existing)
    app = make_app(db, tmp_path, ViewSpec(themes=("state-media",)))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("s", *"mine", "enter")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert ViewSpec.load(existing).themes == ("censorship",)
        await pilot.press("s", *"mine", "enter")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert ViewSpec.load(existing).themes == ("state-media",)


async def test_opening_a_broken_view_says_why(db: Path, tmp_path: Path) -> None:
    folder = tmp_path / "cfg" / "views"
    folder.mkdir(parents=True)
    (folder / "broken.toml").write_text('[view]\nevery = "fortnight"\n')
    (folder / "unknown.toml").write_text('[filters]\nthemes = ["no-such-theme"]\n')
    app = make_app(db, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("o")
        await pilot.pause()
        await pilot.press("enter")  # broken.toml, first by name
        await settle(pilot)
        assert "broken.toml" in status(app) and "fortnight" in status(app)
        await pilot.press("o")
        await pilot.pause()
        await pilot.press("down", "enter")
        await settle(pilot)
        assert "unknown theme 'no-such-theme'" in status(app)
        assert app.spec == ViewSpec() and app.position == 0


async def test_open_with_no_saved_views(db: Path, tmp_path: Path) -> None:
    app = make_app(db, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("o")
        await pilot.pause()
        assert "No saved views yet" in str(app.screen.query_one("#no-views", Static).render())
        await pilot.press("escape")


def test_names_and_listing(tmp_path: Path) -> None:
    assert check_name("pacific 2018-q1") is None
    for bad in ("", "../x", "a/b", ".hidden", "x" * 80):
        assert check_name(bad)
    (tmp_path / "b.toml").write_text("")
    (tmp_path / "a.toml").write_text("")
    (tmp_path / "c.txt").write_text("")
    assert saved_views(tmp_path) == ["a", "b"]
    assert saved_views(tmp_path / "none") == []


def _run_cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, *args: str) -> tuple[object, list]:
    opened: list[DashboardApp] = []
    monkeypatch.setattr(tui.app.DashboardApp, "run", lambda self: opened.append(self))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    result = CliRunner().invoke(main, list(args))
    return result, opened


def test_view_flag_opens_the_dashboard_with_the_view(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    view = ViewSpec(themes=("united-front",), every="year", table="articles")
    path = view.save(tmp_path / "v.toml")
    result, opened = _run_cli(monkeypatch, tmp_path, "--db", str(db), "--view", str(path))
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert opened and opened[0].spec == view


@pytest.mark.parametrize(("content", "words"), [
    ('[view]\nevery = "fortnight"\n', "fortnight"),
    ("[filters\n", "not valid TOML"),
    ('[filters]\nthemes = ["no-such-theme"]\n', "unknown theme 'no-such-theme'"),
])
def test_bad_view_file_names_the_file_and_exits_1(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: str, words: str
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(content)
    result, opened = _run_cli(monkeypatch, tmp_path, "--db", str(db), "--view", str(path))
    assert result.exit_code == 1  # type: ignore[attr-defined]
    err = result.stderr  # type: ignore[attr-defined]
    assert str(path) in err and words in err and "Traceback" not in err
    assert not opened


def test_missing_view_file_exits_1(db: Path, tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    result, opened = _run_cli(monkeypatch, tmp_path, "--db", str(db), "--view",
                              str(tmp_path / "absent.toml"))
    assert result.exit_code == 1  # type: ignore[attr-defined]
    assert "absent.toml" in result.stderr and not opened  # type: ignore[attr-defined]
