"""`softpower-tui export`: a view's table as CSV, Parquet or JSON, for scripts and cron jobs.

The view comes from `--view FILE` (a saved view, TOML) and/or flags; a flag overrides the file.
The file is written by `store.export.export_view`, the function the dashboard's export uses, so
both give byte-identical files for the same view.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import click

from store.export import FORMATS, ExportError, default_filename, export_view
from store.viewspec import EVERY, MAX_SMOOTH, METRICS, TABLES, ViewSpec, ViewSpecError
from tui.commands.common import (
    EXIT_USAGE,
    db_option,
    db_path,
    fail,
    handle_errors,
    visible,
    wait_notice,
)

# Flag → ViewSpec field, for the flags that override a view file when given.
_LIST_FLAGS = {"theme": "themes", "region": "regions", "country": "countries", "source": "sources"}


def _check(field: str) -> Any:
    """A click callback validating one flag's value the way ViewSpec does (exit 2 when bad)."""

    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        if value is None or value == ():
            return value
        try:
            spec = ViewSpec(**{field: value})
        except ViewSpecError as exc:
            message = str(exc).removeprefix(f"{field}: ")
            raise click.BadParameter(message, ctx=ctx, param=param) from None
        return getattr(spec, field)

    return callback


def _list_option(name: str, help_text: str) -> Any:
    return click.option(f"--{name}", name, multiple=True, metavar=name.upper(),
                        callback=_check(_LIST_FLAGS[name]), help=help_text)


@click.command("export")
@click.option("--view", "view_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Start from this view file (TOML); flags given here override it.")
@_list_option("theme", "Theme id (repeatable; a parent theme includes its sub-themes).")
@_list_option("region", "Region, e.g. Africa or Pacific (repeatable).")
@_list_option("country", "Country as ISO code or English name, e.g. FR (repeatable).")
@_list_option("source", "Source (outlet) name, exactly as imported (repeatable).")
@click.option("--since", metavar="YYYY-MM-DD", callback=_check("since"),
              help="First day (inclusive, UTC).")
@click.option("--until", metavar="YYYY-MM-DD", callback=_check("until"),
              help="Last day (inclusive, UTC).")
@click.option("--search", metavar="TEXT",
              help="Only articles whose title or summary holds TEXT (any case, literal).")
@click.option("--table", type=click.Choice(TABLES), help="Table to export [default: trends].")
@click.option("--every", type=click.Choice(EVERY), help="Period length [default: month].")
@click.option("--metric", type=click.Choice(METRICS),
              help="The metric --smooth smooths; 'tone' also adds a mean-tone column "
                   "[default: count].")
@click.option("--by-region/--no-by-region", "by_region", default=None,
              help="One series per theme and region.")
@click.option("--smooth", type=click.IntRange(1, MAX_SMOOTH), metavar="N",
              help="Add a 'smoothed' column: trailing mean over N periods.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="csv", show_default=True,
              help="File format.")
@click.option("-o", "--output", metavar="FILE|-",
              help="Write to FILE, or to stdout with '-' "
                   "[default: softpower-<table>-<date>-<time>.<format> here].")
@click.option("--force", is_flag=True, help="Overwrite FILE when it exists.")
@click.option("--no-sanitize", "no_sanitize", is_flag=True,
              help="Do not neutralise cells starting with = + - @ (spreadsheet formulas).")
@db_option
@handle_errors
def export_command(
    view_file: Path | None,
    theme: tuple[str, ...],
    region: tuple[str, ...],
    country: tuple[str, ...],
    source: tuple[str, ...],
    since: Any,
    until: Any,
    search: str | None,
    table: str | None,
    every: str | None,
    metric: str | None,
    by_region: bool | None,
    smooth: int | None,
    fmt: str,
    output: str | None,
    force: bool,
    no_sanitize: bool,
    db: Path | None,
) -> None:
    """Export a table of a view (trends, regions, articles, co-occurrence, spikes).

    \b
    Examples:
      softpower-tui export --theme united-front --region Pacific --region Africa \\
          --since 2018-01-01 --every quarter --by-region -o pacific.csv
      softpower-tui export --view saved.toml --table articles -o - | head
    """
    from store import aggregate
    from store.db import reading

    spec = ViewSpec()
    if view_file is not None:
        try:
            spec = ViewSpec.load(view_file)
        except ViewSpecError as exc:
            fail(str(exc))
    changes: dict[str, Any] = {
        field: value
        for field, value in (
            ("themes", theme), ("regions", region), ("countries", country), ("sources", source),
            ("since", since), ("until", until), ("search", search), ("table", table),
            ("every", every), ("metric", metric), ("by_region", by_region), ("smooth", smooth),
        )
        if value is not None and value != ()
    }
    try:
        spec = spec.replace(**changes)
    except ViewSpecError as exc:  # only a combination can fail here: since after until
        where = "--since/--until" + (f" and {view_file}" if view_file is not None else "")
        fail(f"{exc} ({where})", EXIT_USAGE)

    path = db_path(db)
    if not path.exists():
        fail(f"no database at {path} (create one with `softpower-tui import FILE` or "
             "`softpower-tui sample`)")
    dest: str | Path = output if output is not None else Path(
        default_filename(spec.table, datetime.now(), fmt)
    )
    with reading(path, on_wait=wait_notice()) as con:
        try:
            spec.check_themes(aggregate.overview(con, spec.replace(themes=()))["themes_known"])
        except ViewSpecError as exc:
            origin = f"{view_file}: " if view_file is not None and not theme else ""
            fail(f"{origin}{exc} (list the themes with `softpower-tui info`)")
        try:
            result = export_view(con, spec, dest, fmt=fmt, force=force,
                                 sanitize=not no_sanitize)
        except ExportError as exc:
            fail(str(exc))
    if result.path is not None:
        noun = "row" if result.rows == 1 else "rows"
        click.echo(f"wrote {result.rows:,} {noun} ({spec.table}) to {visible(result.path)}",
                   err=True)
