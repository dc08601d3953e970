"""Read a text file (plain or gzip) as Arrow batches of physical lines with their line numbers.

The file is read in blocks; newlines are found with NumPy and each block becomes an Arrow string
array without a Python object per line, so a file of any size is read in bounded memory and every
line keeps its physical number (counted from 1, blank lines included).
"""

from __future__ import annotations

import contextlib
import gzip
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from importers.base import ImportFormatError

BLOCK_BYTES = 16 * 1024 * 1024
MAX_LINE_BYTES = 32 * 1024 * 1024  # a longer line is not kept: its `raw` is null
GZIP_MAGIC = b"\x1f\x8b"
UTF8_BOM = b"\xef\xbb\xbf"


def is_gzip(path: Path) -> bool:
    """True when the file starts with the gzip magic bytes."""
    with path.open("rb") as fh:
        return fh.read(2) == GZIP_MAGIC


class DamagedGzip(ImportFormatError):
    """A gzip stream that breaks off or is corrupt; the message names the file."""


# What Python's gzip reader raises for a damaged or cut-off stream
_GZIP_ERRORS = (EOFError, zlib.error, gzip.BadGzipFile)


class _GzipReader(gzip.GzipFile):
    """A GzipFile whose reads fail with DamagedGzip naming the file, whoever reads it (through
    a TextIOWrapper, the csv module, line iteration or readinto, which all come here)."""

    def __init__(self, path: Path, fileobj: IO[bytes]) -> None:
        super().__init__(fileobj=fileobj, mode="rb")
        self._path = path

    @contextlib.contextmanager
    def _naming_damage(self) -> Iterator[None]:
        try:
            yield
        except _GZIP_ERRORS as exc:
            raise DamagedGzip(f"{self._path}: damaged gzip data ({exc})") from exc

    def read(self, size: int | None = -1) -> bytes:
        with self._naming_damage():
            return super().read(size)

    def read1(self, size: int = -1) -> bytes:
        with self._naming_damage():
            return super().read1(size)

    def peek(self, n: int) -> bytes:
        with self._naming_damage():
            return super().peek(n)

    def readline(self, size: int | None = -1) -> bytes:
        with self._naming_damage():
            return super().readline(size)


def open_maybe_gzip(path: Path) -> IO[bytes]:
    """Open a file for binary reading, decompressing it when it starts with the gzip magic; a
    damaged gzip stream fails its reads with DamagedGzip."""
    fh = path.open("rb")
    magic = fh.read(2)
    fh.seek(0)
    if magic == GZIP_MAGIC:
        return _GzipReader(path, fh)  # type: ignore[return-value]
    return fh


def read_head(path: Path, size: int = 64 * 1024) -> bytes:
    """The first `size` bytes of the (decompressed) file: of a gzip stream that breaks off
    sooner, what came before the break (its reader then names the damage)."""
    head = bytearray()
    with open_maybe_gzip(path) as fh:
        try:
            while len(head) < size and (block := fh.read(min(size - len(head), 4096))):
                head += block
        except (OSError, DamagedGzip):
            pass
    return bytes(head)


def _line_number_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset)


def line_batches(
    path: Path, block_bytes: int | None = None, max_line_bytes: int | None = None
) -> Iterator[pa.Table]:
    """Tables of (`line` int64, `raw` string) for each physical line; `raw` keeps its line end.

    A line longer than `max_line_bytes` (default MAX_LINE_BYTES) keeps its number but its `raw` is
    null, and it is skipped without being held in memory, so memory stays bounded by the block
    size and that limit whatever the file. Raises ImportFormatError naming the file and line for
    text that is not UTF-8 and for a damaged gzip stream.
    """
    block_bytes = block_bytes or BLOCK_BYTES
    max_line = max_line_bytes or MAX_LINE_BYTES
    first_line = 1
    carry = b""
    first = True
    skipping = False  # inside a line already known to be too long
    with open_maybe_gzip(path) as fh:
        while True:
            block = fh.read(block_bytes)
            if first:
                block = block.removeprefix(UTF8_BOM)
                first = False
            if skipping:
                newline = block.find(b"\n")
                if block and newline < 0:
                    continue
                yield _overlong(first_line)
                first_line += 1
                skipping = False
                if not block:
                    return
                block = block[newline + 1:]
                if not block:
                    continue
            data = carry + block if carry else block
            if not data:
                return
            if block:
                cut = data.rfind(b"\n") + 1
                if cut == 0:  # one line longer than the block: read on
                    if len(data) > max_line:
                        carry, skipping = b"", True
                    else:
                        carry = data
                    continue
                carry, data = data[cut:], data[:cut]
            else:
                carry = b""
            table = _to_table(data, first_line, path, max_line)
            first_line += table.num_rows
            yield table
            if not block:
                return


def _overlong(line: int) -> pa.Table:
    return pa.table({"line": pa.array([line], pa.int64()),
                     "raw": pa.nulls(1, pa.large_string())})


def _to_table(data: bytes, first_line: int, path: Path, max_line: int) -> pa.Table:
    buf = np.frombuffer(data, dtype=np.uint8)
    ends = np.flatnonzero(buf == 10) + 1
    if len(ends) == 0 or ends[-1] != len(data):
        ends = np.append(ends, len(data))
    offsets = np.concatenate(([0], ends)).astype(np.int64)
    n = len(offsets) - 1
    raw = pa.Array.from_buffers(
        pa.large_string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(data)]
    )
    lengths = np.diff(offsets)
    if lengths.max(initial=0) > max_line:
        raw = pc.if_else(pa.array(lengths > max_line), pa.nulls(n, pa.large_string()), raw)
    if not data.isascii():
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = first_line + _line_number_of(data, exc.start)
            raise ImportFormatError(
                f"{path}:{line}: not UTF-8 text (convert the file to UTF-8)"
            ) from None
    lines = pa.array(np.arange(first_line, first_line + n, dtype=np.int64))
    return pa.table({"line": lines, "raw": raw})
