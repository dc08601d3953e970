"""What every format reader shares: its options and the signature the import command calls."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

import pyarrow as pa
import pyarrow.compute as pc

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


TEXT_FIELDS = ("id", "url", "title", "source", "source_country", "language", "summary", "themes",
               "countries", "regions")


def nul_reason(field_name: str) -> str:
    """The reject reason of a record whose field holds a NUL character (binary data in text)."""
    return f'"{field_name}" holds a NUL character (\\u0000)'


def nul_problems(table: pa.Table) -> pa.Array | None:
    """Per row, the reason when a text or list field of a canonical table holds a NUL character
    (null for a clean row); None when no row does. Terminals, spreadsheets and C tools cut text at
    NUL, so such a record is rejected rather than stored."""
    masks: list[tuple[str, pa.Array]] = []
    for name in TEXT_FIELDS:
        if name not in table.column_names:
            continue
        column = table.column(name)
        if pa.types.is_list(column.type) or pa.types.is_large_list(column.type):
            flat = pc.list_flatten(column)
            if len(flat) == 0:
                continue
            hits = pc.fill_null(pc.match_substring(flat, "\x00"), False)
            if not pc.any(hits).as_py():
                continue
            parents = pc.list_parent_indices(column).to_numpy()
            rows = set(parents[hits.to_numpy(zero_copy_only=False)].tolist())
            mask = pa.array([i in rows for i in range(table.num_rows)])
        else:
            mask = pc.fill_null(pc.match_substring(column, "\x00"), False)
            if not pc.any(mask).as_py():
                continue
        masks.append((name, mask))
    if not masks:
        return None
    reasons: list[str | None] = [None] * table.num_rows
    for name, mask in reversed(masks):  # the first field in TEXT_FIELDS order wins
        for i in pc.indices_nonzero(mask).to_pylist():
            reasons[i] = nul_reason(name)
    return pa.array(reasons, pa.string())
