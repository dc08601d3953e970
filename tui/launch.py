"""Start the dashboard: resolve the database, build the demo one when none exists, run the app."""

from __future__ import annotations

from pathlib import Path

from store.paths import resolve_db_path


def launch(db: Path | None, view_file: Path | None = None, ascii_only: bool = False) -> None:
    """Open the dashboard on `db` (or the default path), building demo data if nothing is there."""
    from tui.app import DashboardApp

    path = resolve_db_path(db)
    demo = False
    if not path.exists():
        from importers.demo import DEFAULT_ARTICLES, DEFAULT_SEED, build_sample_database

        print(f"No database at {path} — building one from the bundled demo corpus…")
        build_sample_database(path, DEFAULT_ARTICLES, DEFAULT_SEED)
        demo = True
    DashboardApp(db_path=path, demo=demo, ascii_only=ascii_only).run()
