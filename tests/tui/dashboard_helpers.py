"""Shared by the dashboard tests: one small demo database per test session, and a settle helper."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

from importers.demo import build_sample_database

SMALL_ARTICLES = 2000
SMALL_SEED = 3


@cache
def small_db() -> Path:
    """A 2,000-article demo database built once per process (read-only for the tests)."""
    folder = Path(tempfile.mkdtemp(prefix="softpower-dash-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    path = folder / "small.duckdb"
    build_sample_database(path, SMALL_ARTICLES, SMALL_SEED)
    return path


async def settle(pilot: Any) -> None:
    """Wait for every worker and the screen refresh that shows their results."""
    app = pilot.app
    for _ in range(3):
        await pilot.pause()
        await app.workers.wait_for_complete()
    await pilot.pause()
    # Widgets finish some work when idle (a DataTable sizes its columns to the rows added);
    # on a busy machine the frame above can come before that: one more short pause.
    await pilot.pause(0.05)
