"""One import run: expand the paths, pick each file's reader, stage everything, then commit once."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from importers import registry
from importers.base import ImportFormatError, ReadOptions
from store.db import WaitCallback, WriteIntent
from store.load import ImportResult, Staging
from store.records import Reject

# progress(file_index, file_count, path) when a file starts; rows(n) when n records were staged
Progress = Callable[[int, int, Path], None]
RowsCallback = Callable[[int], None]
PhaseCallback = Callable[[str], None]


class ImportAborted(Exception):
    """A --strict import met a bad record; nothing was written. `reject` says which."""

    def __init__(self, reject: Reject) -> None:
        super().__init__(str(reject))
        self.reject = reject


@dataclass
class Plan:
    """The files of a run with their formats, and what was left out of the folders."""

    files: list[tuple[Path, str]] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)


def _candidates(folder: Path) -> Iterable[Path]:
    for root, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            if not name.startswith("."):
                yield Path(root) / name


def plan(paths: Iterable[Path], fmt: str = "auto") -> Plan:
    """Files to import and their formats; folders are searched recursively.

    A file named on the command line must be readable (and, with `auto`, recognisable); in a
    folder, files of another (or no recognisable) format are skipped. Raises ImportFormatError.
    """
    if fmt != "auto":
        registry.get(fmt)
    result = Plan()
    for path in paths:
        path = Path(path)
        if path.is_dir():
            found = 0
            for candidate in _candidates(path):
                try:
                    detected = registry.detect(candidate)
                except ImportFormatError:
                    detected = None
                wanted = detected if fmt == "auto" else fmt
                same_family = detected == wanted or (
                    fmt in ("csv", "tsv") and detected in ("csv", "tsv")
                )
                if detected is not None and same_family:
                    result.files.append((candidate, wanted))
                    found += 1
                else:
                    result.skipped.append(candidate)
            if not found:
                what = "importable files" if fmt == "auto" else f"{fmt} files"
                raise ImportFormatError(f"{path}: folder holds no {what}")
        elif path.exists():
            if not os.access(path, os.R_OK):
                raise ImportFormatError(f"{path}: cannot be read (permission denied)")
            result.files.append((path, registry.detect(path) if fmt == "auto" else fmt))
        else:
            raise ImportFormatError(f"{path}: no such file or folder")
    return result


def sha256_of(path: Path, block: int = 1 << 20) -> str:
    """The SHA-256 of a file's bytes, as stored in the import log."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(block):
            digest.update(chunk)
    return digest.hexdigest()


class CountingStaging(Staging):
    """A Staging that reports how many records each `add` staged (for a progress display)."""

    def __init__(self, on_rows: RowsCallback | None = None, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._on_rows = on_rows

    def add(self, batch, file_no: int = 0) -> None:  # type: ignore[no-untyped-def]
        before = self.files[file_no].records
        super().add(batch, file_no)
        if self._on_rows is not None:
            self._on_rows(self.files[file_no].records - before)

    def add_query(self, source: str, params: dict[str, object], file_no: int,
                  expected: int | Callable[[], int], first_line: int = 1) -> bool:
        before = self.files[file_no].records
        staged = super().add_query(source, params, file_no, expected, first_line)
        if staged and self._on_rows is not None:
            self._on_rows(self.files[file_no].records - before)
        return staged


def stage(
    files: list[tuple[Path, str]],
    staging: Staging,
    options: ReadOptions,
    progress: Progress | None = None,
    on_phase: PhaseCallback | None = None,
) -> list[Reject]:
    """Read every file into `staging` and validate; with --strict, raise on the first reject.

    Each file's SHA-256 is computed by a second thread while the file is read (hashlib runs
    without the GIL, and DuckDB's reading leaves a core idle now and then)."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sha256") as hasher:
        for index, (path, fmt) in enumerate(files):
            if progress is not None:
                progress(index, len(files), path)
            digest = hasher.submit(sha256_of, path)
            file_no = staging.begin_file(str(path), fmt, None, datetime.now(UTC))
            registry.get(fmt).reader(path, staging, file_no, options)
            staging.files[file_no].sha256 = digest.result()
            if options.strict and staging.rejects:
                raise ImportAborted(staging.rejects[0][1])
    if on_phase is not None:
        on_phase("checking the records")
    rejects = staging.finalise()
    if options.strict and rejects:
        raise ImportAborted(rejects[0])
    return rejects


def on_duplicate(files: list[tuple[Path, str]]) -> str:
    """'union' when any format of the run merges repeated articles (GDELT DOC), else 'last'."""
    rules = {registry.get(fmt).on_duplicate for _, fmt in files}
    return "union" if "union" in rules else "last"


def run_import(
    paths: Iterable[Path],
    db_path: Path,
    *,
    fmt: str = "auto",
    options: ReadOptions | None = None,
    progress: Progress | None = None,
    on_rows: RowsCallback | None = None,
    on_phase: PhaseCallback | None = None,
    on_wait: WaitCallback | None = None,
    tmp_dir: Path | None = None,
    notes: list[str] | None = None,
) -> ImportResult:
    """Import `paths` into the database at `db_path` in one transaction.

    Raises ImportFormatError for a file that cannot be read as a whole, ImportAborted for a
    --strict import with a bad record; in both cases the database is untouched. Notes of the
    readers (things left out that are not rejects) are appended to `notes` as `file: text`.
    """
    options = options or ReadOptions()
    files = plan(paths, fmt).files
    with CountingStaging(
        on_rows, on_duplicate=on_duplicate(files), tmp_dir=tmp_dir
    ) as staging:
        stage(files, staging, options, progress, on_phase)
        if notes is not None:
            notes.extend(f"{staging.files[f].path}: {text}" for f, text in staging.notes)
        if on_phase is not None:
            on_phase("writing to the database")
        # While the write waits for the lock, readers are told to hold back (store.db.WriteIntent),
        # so a stream of short reads cannot keep an import out.
        with WriteIntent(db_path) as intent:

            def waiting(message: str, waited: float) -> None:
                intent.waiting()
                if on_wait is not None:
                    on_wait(message, waited)

            return staging.commit(db_path, on_wait=waiting)

