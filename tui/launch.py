"""Start the dashboard: resolve the database, build the demo one when none exists, read the
view file and the keymap, run the app."""

from __future__ import annotations

from pathlib import Path

from store.paths import resolve_db_path


class LaunchError(Exception):
    """The dashboard cannot start as asked; the message names the file and says why."""


def launch(db: Path | None, view_file: Path | None = None, ascii_only: bool = False) -> None:
    """Open the dashboard on `db` (or the default path), building demo data if nothing is there."""
    from store.db import StoreError, reading
    from store.viewspec import ViewSpec, ViewSpecError
    from tui.app import DashboardApp, binding_ids
    from tui.keymap import KeymapError, load_keymap

    view = None
    try:
        keymap = load_keymap(known=binding_ids())
        if view_file is not None:
            view = ViewSpec.load(view_file)
    except (KeymapError, ViewSpecError) as exc:
        raise LaunchError(str(exc)) from None
    path = resolve_db_path(db)
    demo = False
    if not path.exists():
        from importers.demo import DEFAULT_ARTICLES, DEFAULT_SEED, build_sample_database

        print(f"No database at {path} — building one from the bundled demo corpus…")
        build_sample_database(path, DEFAULT_ARTICLES, DEFAULT_SEED)
        demo = True
    if view is not None and view.themes:
        try:
            with reading(path) as con:
                known = [t for (t,) in con.sql(
                    "SELECT id FROM themes UNION SELECT DISTINCT theme FROM article_themes"
                ).fetchall()]
            view.check_themes(known)
        except ViewSpecError as exc:
            raise LaunchError(f"{view_file}: {exc}") from None
        except StoreError as exc:
            raise LaunchError(str(exc)) from None
    from tui.interrupt import hangup_ends_cleanly

    with hangup_ends_cleanly():  # SIGHUP/SIGTERM restore the terminal as Ctrl+C does
        DashboardApp(db_path=path, demo=demo, ascii_only=ascii_only, view=view,
                     keymap=keymap).run()
