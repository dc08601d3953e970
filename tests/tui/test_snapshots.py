"""Screenshots of the dashboard at 80x24 and 120x36 on a small fixed database."""

from __future__ import annotations

from pathlib import Path

import pytest

from importers.demo import build_sample_database
from tui.app import DashboardApp


@pytest.fixture(scope="module")
def fixed_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("snap") / "fixed.duckdb"
    build_sample_database(path, 1500, 11)
    return path


async def _settle(pilot) -> None:  # type: ignore[no-untyped-def]
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def _help(pilot) -> None:  # type: ignore[no-untyped-def]
    await _settle(pilot)
    await pilot.press("question_mark")
    await pilot.pause()


@pytest.mark.parametrize("size", [(80, 24), (120, 36)])
def test_trends(snap_compare, fixed_db: Path, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(DashboardApp(db_path=fixed_db), terminal_size=size, run_before=_settle)


@pytest.mark.parametrize("size", [(80, 24), (120, 36)])
def test_help(snap_compare, fixed_db: Path, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(DashboardApp(db_path=fixed_db), terminal_size=size, run_before=_help)
