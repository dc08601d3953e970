"""launch() builds the demo database when none exists and opens the app marked as demo data."""

from __future__ import annotations

from pathlib import Path

import pytest

import tui.app
from tui.launch import launch


def test_launch_builds_demo_database_when_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    opened: list[tui.app.DashboardApp] = []
    monkeypatch.setattr(tui.app.DashboardApp, "run", lambda self: opened.append(self))
    monkeypatch.setattr("importers.demo.DEFAULT_ARTICLES", 300)
    db = tmp_path / "new" / "store.duckdb"
    launch(db)
    assert db.exists()
    assert "No database at" in capsys.readouterr().out
    assert opened and opened[0].demo and opened[0].db_path == db
