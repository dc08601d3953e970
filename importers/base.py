"""What every format reader shares: its options and the signature the import command calls."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from store.load import Staging

BATCH_ROWS = 100_000


@dataclass(frozen=True)
class ReadOptions:
    """Options of one `import` run that readers may use."""

    mapping: dict[str, Any] | None = None  # parsed --mapping TOML
    mapping_path: Path | None = None
    theme: str | None = None  # --theme: a theme for every record
    strict: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


class Reader(Protocol):
    """A format reader: stream the file's records into `staging` as canonical Arrow batches.

    Readers call `staging.add(batch, file_no)` for good records (batches of at most BATCH_ROWS,
    with a `line` column holding the physical line the record starts on, counted from 1) and
    `staging.reject(Reject(file, line, reason), file_no)` for records they cannot read. They never
    open the database. Under `options.strict` they may stop at the first reject.
    """

    def __call__(
        self, path: Path, staging: Staging, file_no: int, options: ReadOptions
    ) -> None: ...


class ImportFormatError(Exception):
    """The file as a whole cannot be read in the chosen format; the message names the file."""


OnDuplicate = Literal["last", "union"]
