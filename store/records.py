"""The canonical article record as an Arrow schema, and the reject record."""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

# The columns every importer produces (DESIGN §3), plus `line`: where the record starts in its file.
# All nullable here: the store rejects records missing `title` or `published` with file and line.
CANONICAL_SCHEMA = pa.schema(
    [
        pa.field("id", pa.string()),
        pa.field("url", pa.string()),
        pa.field("title", pa.string()),
        pa.field("source", pa.string()),
        pa.field("published", pa.timestamp("us", tz="UTC")),
        pa.field("themes", pa.list_(pa.string())),
        pa.field("countries", pa.list_(pa.string())),
        pa.field("regions", pa.list_(pa.string())),
        pa.field("source_country", pa.string()),
        pa.field("language", pa.string()),
        pa.field("tone", pa.float64()),
        pa.field("summary", pa.string()),
        pa.field("line", pa.int64()),
    ]
)
CANONICAL_FIELDS = [f.name for f in CANONICAL_SCHEMA]


@dataclass(frozen=True)
class Reject:
    """A record an importer could not accept: where it was and why."""

    file: str
    line: int | None
    reason: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where}: {self.reason}"


def empty_canonical() -> pa.Table:
    """A zero-row table with the canonical schema."""
    return CANONICAL_SCHEMA.empty_table()
