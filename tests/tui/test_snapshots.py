"""Screenshots of every tab and the help screen at 80x24 and 120x36, on a fixed demo database."""

from __future__ import annotations

from pathlib import Path

import pytest
from dashboard_helpers import settle, small_db

from tui.app import DashboardApp

SIZES = [(80, 24), (120, 36)]


@pytest.fixture(scope="session")
def fixed_db() -> Path:
    return small_db()


def make_app(db: Path) -> DashboardApp:
    return DashboardApp(
        db_path=db, poll_seconds=0, preload_delay=0, cwd=db.parent, config_path=db.parent / "cfg")


def _after(*keys: str):  # type: ignore[no-untyped-def]
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)

    return run_before


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize(("tab", "key"), [("trends", "1"), ("regions", "2"), ("articles", "3"),
                                          ("cooccurrence", "4")])
def test_tab(snap_compare, fixed_db: Path, tab: str, key: str,  # type: ignore[no-untyped-def]
             size: tuple[int, int]) -> None:
    assert snap_compare(make_app(fixed_db), terminal_size=size, run_before=_after(key))


@pytest.mark.parametrize("size", SIZES)
def test_help(snap_compare, fixed_db: Path, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(make_app(fixed_db), terminal_size=size,
                        run_before=_after("question_mark"))


@pytest.mark.parametrize("size", SIZES)
def test_filtered_view(snap_compare, fixed_db: Path,  # type: ignore[no-untyped-def]
                       size: tuple[int, int]) -> None:
    """Themes and regions chosen, by quarter, split by region: the header and panel say so."""
    from store.viewspec import ViewSpec

    app = make_app(fixed_db)
    app.history = [ViewSpec(themes=("united-front", "state-media"), regions=("Africa", "Pacific"),
                            every="quarter", by_region=True)]
    assert snap_compare(app, terminal_size=size, run_before=_after())
