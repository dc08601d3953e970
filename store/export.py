"""A view's table written to a file (or stdout) as CSV, Parquet or JSON.

The dashboard and `softpower-tui export` both call `export_view`, so the same view and table give
byte-identical files. Rules (docs/semantics.md, "Export"):

- written by Polars' writers into a temporary file beside the destination, then renamed over it,
  so a reader never sees half a file and a failed write leaves nothing behind;
- an existing file is replaced only with `force=True` (`ExportExistsError` otherwise);
- in CSV and JSON, periods are `YYYY-MM-DD`, `published` is `YYYY-MM-DDTHH:MM:SS[.ffffff]Z` (UTC),
  numbers are written unrounded (the shortest text that reads back as the same float);
  Parquet keeps the native types (Date, Datetime, Float64);
- a CSV always has its header line, even with no rows;
- `sanitize=True` (the default) neutralises spreadsheet formulas: a text cell starting with
  `=`, `+`, `-`, `@`, tab or carriage return gets a `'` in front (CSV and JSON; Parquet is typed
  data that spreadsheets do not run).
"""

from __future__ import annotations

import io
import os
import secrets
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import polars as pl

from store import aggregate
from store.viewspec import ViewSpec

FORMATS = ("csv", "parquet", "json")
EXTENSIONS = {"csv": "csv", "parquet": "parquet", "json": "json"}
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
DATE_FORMAT = "%Y-%m-%d"
DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%S%.fZ"
STDOUT = "-"


class ExportError(Exception):
    """The export could not be written; the message says which file and why."""


class ExportExistsError(ExportError):
    """The destination exists and overwriting was not asked for."""


@dataclass(frozen=True)
class ExportResult:
    """Where the table went (None for stdout) and how many rows it held."""

    path: Path | None
    rows: int


def default_filename(table: str, now: datetime, fmt: str = "csv") -> str:
    """`softpower-<table>-<YYYYmmdd-HHMMSS>.<ext>`, e.g. softpower-trends-20240131-170502.csv."""
    return f"softpower-{table}-{now.strftime('%Y%m%d-%H%M%S')}.{EXTENSIONS[fmt]}"


def neutralise(frame: pl.DataFrame) -> pl.DataFrame:
    """Text cells a spreadsheet would run as a formula, prefixed with a single quote."""
    pattern = "^[" + "".join(FORMULA_PREFIXES).replace("-", r"\-") + "]"
    return frame.with_columns(
        pl.when(pl.col(name).str.contains(pattern))
        .then(pl.lit("'") + pl.col(name))
        .otherwise(pl.col(name))
        .alias(name)
        for name, dtype in frame.schema.items()
        if dtype == pl.String
    )


def prepare(frame: pl.DataFrame, fmt: str, *, sanitize: bool = True) -> pl.DataFrame:
    """The frame as it is written: dates as text for CSV/JSON, formulas neutralised."""
    if fmt == "parquet":
        return frame
    if sanitize:
        frame = neutralise(frame)
    return frame.with_columns(
        pl.col(name).dt.strftime(DATE_FORMAT if dtype == pl.Date else DATETIME_FORMAT)
        for name, dtype in frame.schema.items()
        if dtype == pl.Date or isinstance(dtype, pl.Datetime)
    )


def _writer(fmt: str) -> Callable[[pl.DataFrame, io.BufferedIOBase], None]:
    if fmt == "csv":
        return lambda frame, fh: frame.write_csv(fh, include_header=True)
    if fmt == "parquet":
        return lambda frame, fh: frame.write_parquet(fh)
    if fmt == "json":
        return lambda frame, fh: frame.write_json(fh)
    raise ExportError(f"unknown format {fmt!r} (one of {', '.join(FORMATS)})")


def encode(frame: pl.DataFrame, fmt: str, *, sanitize: bool = True) -> bytes:
    """The bytes `export_view` writes for this (already computed) table."""
    buffer = io.BytesIO()
    _writer(fmt)(prepare(frame, fmt, sanitize=sanitize), buffer)
    return buffer.getvalue()


def write_frame(
    frame: pl.DataFrame,
    dest: Path | str,
    *,
    fmt: str = "csv",
    force: bool = False,
    sanitize: bool = True,
) -> ExportResult:
    """Write a finished table to `dest` (or stdout for '-') by the export rules above."""
    writer = _writer(fmt)
    prepared = prepare(frame, fmt, sanitize=sanitize)
    if str(dest) == STDOUT:
        buffer = io.BytesIO()
        writer(prepared, buffer)
        out = sys.stdout.buffer
        out.write(buffer.getvalue())
        out.flush()
        return ExportResult(None, frame.height)
    path = Path(dest)
    if path.is_dir():
        raise ExportError(f"{path}: is a folder; give a file name")
    if path.exists() and not force:
        raise ExportExistsError(f"{path}: file exists; use --force to overwrite it")
    folder = path.parent
    if not folder.is_dir():
        raise ExportError(f"{path}: no such folder {folder}")
    tmp = folder / f".{path.name}.{secrets.token_hex(6)}.tmp"
    try:
        # os.open with 0o666 lets the umask decide the mode, as for any new file.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as exc:
        raise ExportError(f"{path}: cannot write in {folder} ({exc.strerror})") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            writer(prepared, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ExportError(f"{path}: cannot write ({exc.strerror or exc})") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return ExportResult(path, frame.height)


def export_view(
    con: duckdb.DuckDBPyConnection,
    spec: ViewSpec,
    dest: Path | str,
    *,
    fmt: str = "csv",
    force: bool = False,
    sanitize: bool = True,
) -> ExportResult:
    """Compute the table `spec.table` of the view and write it to `dest` ('-': stdout)."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r} (one of {', '.join(FORMATS)})")
    if str(dest) != STDOUT:
        path = Path(dest)
        if path.exists() and not force and not path.is_dir():
            # Say so before spending time on the query.
            raise ExportExistsError(f"{path}: file exists; use --force to overwrite it")
    frame = aggregate.table(con, spec)
    return write_frame(frame, dest, fmt=fmt, force=force, sanitize=sanitize)
