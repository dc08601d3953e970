"""The `softpower-tui` command: the dashboard by default, headless subcommands otherwise."""

from __future__ import annotations

from pathlib import Path

import click

from tui.commands import register_all
from tui.commands.common import DB_HELP, fail


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help=DB_HELP,
)
@click.option("--view", "view_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Open the dashboard with this view file (TOML, as saved with s or by hand).")
@click.option("--ascii", "ascii_only", is_flag=True, envvar="SOFTPOWER_ASCII",
              help="Draw with ASCII only (no block or braille glyphs).")
@click.version_option(package_name="softpower-tui")
@click.pass_context
def main(ctx: click.Context, db: Path | None, view_file: Path | None, ascii_only: bool) -> None:
    """Track themes of soft-power and influence work over time, from the terminal."""
    ctx.ensure_object(dict)
    ctx.obj["db"] = db
    if ctx.invoked_subcommand is None:
        from tui.launch import LaunchError, launch

        try:
            launch(db=db, view_file=view_file, ascii_only=ascii_only)
        except LaunchError as exc:
            fail(str(exc))


register_all(main)
