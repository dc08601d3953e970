"""`softpower-tui info`: what the database holds and where it came from."""

from __future__ import annotations

from pathlib import Path

import click

from tui.commands.common import db_option, db_path, fail, handle_errors, visible, wait_notice


def _time(value: object) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if hasattr(value, "strftime") else str(value)


@click.command("info")
@click.option("--rejects", "show_rejects", is_flag=True,
              help="List the rejected records of past imports (file, line, reason).")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True,
              help="At most this many rejects or import-log rows.")
@db_option
@handle_errors
def info_command(show_rejects: bool, limit: int, db: Path | None) -> None:
    """Show article count, date range, themes, regions and the import history."""
    from store import catalog
    from store.db import reading

    path = db_path(db)
    if not path.exists():
        fail(f"no database at {path} (create one with `softpower-tui import FILE` or "
             "`softpower-tui sample`)")
    echo = click.echo
    with reading(path, on_wait=wait_notice()) as con:
        if show_rejects:
            rows = catalog.rejects(con, limit + 1)
            if not rows:
                echo("no rejected records")
                return
            for r in rows[:limit]:
                where = f"{r['file']}:{r['line']}" if r["line"] is not None else r["file"]
                echo(f"{visible(where)}: {visible(r['reason'])}")
            if len(rows) > limit:
                total = catalog.summary(con)["rejects"]
                echo(f"… {total - limit:,} more (use --limit)")
            return
        s = catalog.summary(con)
        themes = catalog.theme_counts(con)
        regions = catalog.region_counts(con)
        log = catalog.import_log(con, limit)
    echo(f"database   {visible(path)}")
    echo(f"articles   {s['articles']:,} ({s['untagged']:,} without a theme)")
    if s["first_day"] is not None:
        echo(f"dates      {s['first_day']} to {s['last_day']}")
    echo(f"sources    {s['sources']:,}")
    echo("")
    echo(f"themes{'':<28} {'articles':>10} {'with sub-themes':>16}")
    for t in themes:
        if t["articles"] == 0 and t["origin"] != "taxonomy":
            continue
        name = ("  " if t["parent"] else "") + visible(t["id"])
        rolled = f"{t['with_children']:>16,}" if t["with_children"] != t["articles"] else ""
        origin = "  (added by an import)" if t["origin"] == "import" else ""
        echo(f"  {name:<32} {t['articles']:>10,} {rolled:>16}{origin}")
    echo("")
    echo("regions")
    for r in regions:
        echo(f"  {visible(r['region']):<32} {r['articles']:>10,}")
    echo("")
    echo(f"imports ({s['imports']:,}; newest first)")
    for row in log:
        echo(
            f"  #{row['import_id']} {_time(row['finished_at'])}  {visible(row['path'])} "
            f"[{row['format']}]  {row['records']:,} records: {row['new']:,} new, "
            f"{row['updated']:,} updated, {row['unchanged']:,} unchanged, "
            f"{row['rejected']:,} rejected"
            + (f", {row['new_themes']:,} new themes" if row["new_themes"] else "")
        )
    if s["rejects"]:
        echo(f"\n{s['rejects']:,} rejected records; list them with `softpower-tui info --rejects`")
