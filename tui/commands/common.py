"""What every subcommand shares: the --db option, safe printing of untrusted text, error exits."""

from __future__ import annotations

import functools
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from store.db import LOCK_TIMEOUT_ENV, StoreError, WaitCallback, lock_timeout
from store.paths import resolve_db_path

F = TypeVar("F", bound=Callable[..., Any])

DB_HELP = (
    "Database file (default: $SOFTPOWER_DB, else "
    "~/.local/share/softpower-tui/softpower.duckdb)."
)

EXIT_OK = 0
EXIT_BAD_INPUT = 1
EXIT_USAGE = 2

# C0/C1 controls (ESC, BEL, CSI…), DEL, bidi overrides/isolates and zero-width characters.
_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]"
)


def visible(text: object) -> str:
    """Untrusted text made terminal-safe: control and invisible characters shown as escapes."""
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}" if ord(m.group()) > 0xFF
                       else f"\\x{ord(m.group()):02x}", str(text))


def wait_notice() -> WaitCallback:
    """An `on_wait` for `store.db`: says once on stderr what the command waits for, and how long."""
    told = False

    def notice(message: str, waited: float) -> None:
        nonlocal told
        if not told:
            told = True
            click.echo(
                f"{visible(message)}… (giving up after {lock_timeout():g} s; "
                f"{LOCK_TIMEOUT_ENV} sets the limit)",
                err=True,
            )

    return notice


def db_option(func: F) -> F:
    """Add `--db PATH` (falls back to the group's --db, then $SOFTPOWER_DB, then the XDG dir)."""
    return click.option(
        "--db",
        "db",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help=DB_HELP,
    )(func)


def db_path(db: Path | None) -> Path:
    """The database path for a subcommand, honouring a --db given before the subcommand name."""
    if db is None:
        ctx = click.get_current_context(silent=True)
        while ctx is not None and db is None:
            obj = ctx.obj if isinstance(ctx.obj, dict) else {}
            db = obj.get("db")
            ctx = ctx.parent
    return resolve_db_path(db)


def fail(message: str, code: int = EXIT_BAD_INPUT) -> None:
    """Print `message` (made safe) to stderr and exit with `code`."""
    click.echo(f"error: {visible(message)}", err=True)
    sys.exit(code)


def quiet_stdout() -> None:
    """Point stdout at the null device, so the interpreter's final flush of a closed pipe is
    silent instead of printing 'Exception ignored … BrokenPipeError'."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # no real file descriptor (tests)
        pass


def handle_errors(func: F) -> F:
    """Turn store errors and unreadable files into a message and exit code 1, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except BrokenPipeError:
            # The reader went away (`... | head`): stop quietly, as a pipeline expects.
            quiet_stdout()
            sys.exit(EXIT_OK)
        except StoreError as exc:
            fail(str(exc))
        except OSError as exc:
            name = getattr(exc, "filename", None)
            fail(f"{name}: {exc.strerror}" if name and exc.strerror else str(exc))
        except KeyboardInterrupt:
            click.echo("interrupted; nothing was written", err=True)
            sys.exit(130)

    return wrapper  # type: ignore[return-value]
