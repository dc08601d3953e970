"""`softpower-tui import PATH...`: read files into the database in one transaction."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from tui.commands.common import (
    EXIT_BAD_INPUT,
    db_option,
    db_path,
    fail,
    handle_errors,
    visible,
    wait_notice,
)

MAX_REJECTS_SHOWN = 20


def _literal(text: str) -> str:
    """Untrusted text for a Rich progress column: escapes made visible, markup escaped."""
    from rich.markup import escape

    return escape(visible(text))


class _ProgressDisplay:
    """A transient Rich progress line (records, records/s) on stderr, only on a terminal, and only
    once the import has run for a second."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.started = time.monotonic()
        self.rows = 0
        self.label = ""
        self._progress = None
        self._task = None
        self._notice = wait_notice()

    def _ensure(self) -> None:
        if self._progress is not None or not self.enabled:
            return
        if time.monotonic() - self.started < 1.0:
            return
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(bar_width=12),
            TextColumn("{task.completed:,.0f} records"),
            TextColumn("[progress.data.speed]{task.fields[rate]}"),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self._progress.start()
        self._task = self._progress.add_task(self.label, total=None, completed=self.rows, rate="")

    def file(self, index: int, count: int, path: Path) -> None:
        self.label = f"[{index + 1}/{count}] {_literal(path.name)}"
        self._ensure()
        if self._progress is not None:
            self._progress.update(self._task, description=self.label)

    def add(self, n: int) -> None:
        self.rows += n
        self._ensure()
        if self._progress is not None:
            elapsed = max(time.monotonic() - self.started, 1e-6)
            self._progress.update(
                self._task, completed=self.rows, rate=f"{self.rows / elapsed:,.0f} records/s"
            )

    def stage(self, text: str) -> None:
        self._ensure()
        if self._progress is not None:
            self._progress.update(self._task, description=_literal(text))

    def wait(self, message: str, waited: float) -> None:
        """Say what the import waits for: on the progress line, else once on stderr."""
        if self.enabled:
            self.stage(message)
        else:
            self._notice(message, waited)

    def stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None


@click.command("import")
@click.argument("paths", nargs=-1, required=True,
                type=click.Path(path_type=Path, exists=False))
@click.option("--format", "fmt", default="auto", show_default=True,
              type=click.Choice(["auto", "jsonl", "csv", "tsv", "parquet", "gdelt-gkg",
                                 "gdelt-doc"]),
              help="Format of the files; auto decides by content.")
@click.option("--mapping", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="TOML file mapping the file's columns (or GDELT themes) to canonical fields.")
@click.option("--theme", default=None, metavar="ID", help="Add this theme to every record.")
@click.option("--strict", is_flag=True,
              help="Refuse the whole import at the first bad record (nothing is written).")
@db_option
@handle_errors
def import_command(paths: tuple[Path, ...], fmt: str, mapping: Path | None, theme: str | None,
                   strict: bool, db: Path | None) -> None:
    """Import articles from files or folders (JSONL, CSV/TSV, Parquet, GDELT GKG and DOC)."""
    import duckdb
    import pyarrow as pa

    from importers import mapping as mapping_mod
    from importers.base import ImportFormatError, ReadOptions
    from importers.run import ImportAborted, run_import

    if theme is not None and not theme.strip():
        click.echo("error: --theme needs a theme id", err=True)
        sys.exit(2)
    target = db_path(db)
    display = _ProgressDisplay(enabled=sys.stderr.isatty())
    notes: list[str] = []
    try:
        parsed = mapping_mod.load(mapping) if mapping is not None else None
        options = ReadOptions(mapping=parsed, mapping_path=mapping,
                              theme=theme.strip() if theme else None, strict=strict)
        result = run_import(
            paths, target, fmt=fmt, options=options, progress=display.file, on_rows=display.add,
            on_phase=display.stage, on_wait=display.wait,
            notes=notes,
        )
    except ImportAborted as exc:
        display.stop()
        click.echo(f"{visible(exc.reject)}", err=True)
        fail("--strict: the import was refused at the first bad record; nothing was written")
    except ImportFormatError as exc:
        display.stop()
        fail(f"{exc}; nothing was written")
    except OSError as exc:  # a file removed or made unreadable while the import ran
        display.stop()
        name = getattr(exc, "filename", None)
        reason = exc.strerror or str(exc)
        fail(f"{name}: {reason}; nothing was written" if name else
             f"{reason}; nothing was written")
    except (duckdb.Error, pa.ArrowException) as exc:
        display.stop()
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        fail(f"the import failed and nothing was written: {first}")
    finally:
        display.stop()
    for reject in result.rejects[:MAX_REJECTS_SHOWN]:
        click.echo(visible(reject), err=True)
    if len(result.rejects) > MAX_REJECTS_SHOWN:
        click.echo(
            f"… and {len(result.rejects) - MAX_REJECTS_SHOWN:,} more; see softpower-tui info "
            "--rejects", err=True,
        )
    for note in notes:
        click.echo(f"note: {visible(note)}", err=True)
    if len(result.files) > 1:
        for f in result.files:
            click.echo(f"{visible(f.path)} ({f.format}): {f.summary()}", err=True)
    click.echo(result.summary())
    sys.exit(0 if result.committed else EXIT_BAD_INPUT)
