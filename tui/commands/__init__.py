"""The headless subcommands of `softpower-tui`; none of them builds a widget."""

from __future__ import annotations

import click


def register_all(group: click.Group) -> None:
    """Attach every subcommand to the top-level group."""
    # Each subcommand module adds itself here; imports stay local so startup stays fast.
    from tui.commands.export import export_command
    from tui.commands.import_cmd import import_command
    from tui.commands.info import info_command
    from tui.commands.sample import sample

    group.add_command(export_command)
    group.add_command(import_command)
    group.add_command(info_command)
    group.add_command(sample)
