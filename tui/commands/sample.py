"""`softpower-tui sample`: (re)build a database from the demo generator."""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

import click
import duckdb

from tui.commands.common import db_option, db_path, fail, handle_errors, visible

if TYPE_CHECKING:
    from store.load import ImportResult

# Below this many articles the build takes a moment and needs no progress bar.
PROGRESS_FROM = 200_000


def _article_count(path: Path) -> int | None:
    """Articles in an existing database file; None when the file is not a database of ours."""
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error:
        return None
    try:
        found = con.sql(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'articles'"
        ).fetchall()[0][0]
        if not found:
            return 0
        return int(con.sql("SELECT count(*) FROM articles").fetchall()[0][0])
    except duckdb.Error:
        return None
    finally:
        con.close()


def _remove(path: Path) -> None:
    for leftover in (path, Path(f"{path}.wal")):
        with contextlib.suppress(FileNotFoundError):
            leftover.unlink()


@click.command("sample")
@db_option
@click.option("--articles", "n_articles", type=click.IntRange(min=1), default=None,
              help="How many articles to generate (default: the size of the bundled demo corpus).")
@click.option("--seed", type=int, default=None,
              help="Random seed; the same seed and size give the same articles.")
@click.option("--force", is_flag=True, help="Replace a database that already holds data.")
@handle_errors
def sample(db: Path | None, n_articles: int | None, seed: int | None, force: bool) -> None:
    """(Re)build the database from the synthetic demo corpus generator."""
    from importers.demo import DEFAULT_ARTICLES, DEFAULT_SEED, build_sample_database

    n_articles = DEFAULT_ARTICLES if n_articles is None else n_articles
    seed = DEFAULT_SEED if seed is None else seed
    target = db_path(db)
    if target.exists() and target.stat().st_size > 0 and not force:
        count = _article_count(target)
        if count is None:
            fail(f"{target} exists and is not a softpower-tui database; "
                 f"use --force to replace it")
        elif count:
            fail(f"{target} already holds {count:,} articles; use --force to replace it "
                 f"(or --db to build elsewhere)")

    # Build beside the target, then rename: the old file stays whole until the new one is.
    tmp = target.with_name(f".{target.name}.{os.getpid()}.building")
    _remove(tmp)
    started = time.perf_counter()
    try:
        if n_articles >= PROGRESS_FROM:
            result = _build_with_progress(tmp, n_articles, seed)
        else:
            result = build_sample_database(tmp, n_articles, seed)
        Path(f"{target}.wal").unlink(missing_ok=True)
        os.replace(tmp, target)
    finally:
        _remove(tmp)
    seconds = time.perf_counter() - started
    click.echo(
        f"{visible(target)}: {result.new:,} demo articles (seed {seed}) in {seconds:.1f} s; "
        f"{result.rejected:,} rejected"
    )


def _build_with_progress(tmp: Path, n_articles: int, seed: int) -> ImportResult:
    """Build with a Rich progress bar on stderr."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from importers.demo import build_sample_database

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,.0f}/{task.total:,.0f}"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task("generating", total=n_articles)

        def progress(stage: str, done: int, total: int) -> None:
            if stage == "loading":
                bar.update(task, description="loading into the database",
                           completed=n_articles, total=n_articles)
            else:
                bar.update(task, description=stage, completed=done, total=total)

        return build_sample_database(tmp, n_articles, seed, progress=progress)
