"""CSV and TSV tables (canonical column names, or any names with a `--mapping`) → articles.

Python's csv module splits records (it knows quoting, quoted newlines and the physical line each
record starts on); each batch of records becomes Arrow columns and is converted to canonical
fields by one DuckDB query (importers/mapping.py). The header is line 1.
"""

from __future__ import annotations

import codecs
import csv
import io
import sys
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from importers.base import BATCH_ROWS, ImportFormatError, OnDuplicate, ReadOptions
from importers.lines import UTF8_BOM, open_maybe_gzip
from importers.mapping import Converter, add_constant_theme, from_options, resolve_columns
from store.load import Staging
from store.records import Reject

FORMAT = "csv"
ON_DUPLICATE: OnDuplicate = "last"

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


def _records(path: Path, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(line the record starts on, fields) for every non-blank record, the header included."""
    raw = open_maybe_gzip(path)
    try:
        head = raw.read(3)
        if head != UTF8_BOM:
            raw.seek(0)
        text = io.TextIOWrapper(raw, encoding="utf-8", errors="strict", newline="")
        reader = csv.reader(text, delimiter=delimiter, quotechar='"', strict=False)
        end = 0
        while True:
            try:
                fields = next(reader)
            except StopIteration:
                return
            except UnicodeDecodeError:
                raise ImportFormatError(
                    f"{path}:{first_bad_utf8_line(path)}: not UTF-8 text (save the file as "
                    "UTF-8; UTF-8 with a byte-order mark is fine too)"
                ) from None
            except csv.Error as exc:
                raise ImportFormatError(f"{path}:{end + 1}: unreadable {exc}") from None
            start, end = end + 1, reader.line_num
            if not fields or (len(fields) == 1 and not fields[0].strip()):
                continue
            yield start, fields
    finally:
        raw.close()


def first_bad_utf8_line(path: Path, block_bytes: int = 1 << 20) -> int:
    """The physical line of the first byte sequence that is not UTF-8 (0 when there is none)."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    lines = 1
    with open_maybe_gzip(path) as fh:
        while block := fh.read(block_bytes):
            try:
                decoder.decode(block)
            except UnicodeDecodeError as exc:
                return lines + block.count(b"\n", 0, max(exc.start, 0))
            lines += block.count(b"\n")
    return 0


def read_table(path: Path, staging: Staging, file_no: int, options: ReadOptions,
               delimiter: str) -> None:
    """Stream a delimited table into `staging` (CSV with ',' or TSV with a tab)."""
    path = Path(path)
    name = staging.files[file_no].path if file_no < len(staging.files) else str(path)
    records = _records(path, delimiter)
    first = next(records, None)
    if first is None:
        raise ImportFormatError(f"{path}: empty file (expected a header line)")
    header = [h.strip() for h in first[1]]
    mapping = from_options(options.mapping, options.mapping_path)
    chosen = resolve_columns(header, mapping, path)
    wanted = sorted(set(chosen.values()), key=header.index)
    index = {c: header.index(c) for c in wanted}
    schema = pa.schema([pa.field(c, pa.string()) for c in wanted] + [pa.field("line", pa.int64())])
    converter = Converter(mapping, chosen, schema)
    width = len(header)
    try:
        lines: list[int] = []
        rows: list[list[str]] = []
        for line, fields in records:
            if len(fields) != width:
                staging.reject(
                    Reject(name, line, f"{len(fields)} fields where the header has {width}"),
                    file_no,
                )
                if options.strict:
                    return
                continue
            lines.append(line)
            rows.append(fields)
            if len(rows) >= BATCH_ROWS:
                if not _flush(rows, lines, index, schema, converter, staging, file_no, name,
                              options):
                    return
                rows, lines = [], []
        if rows:
            _flush(rows, lines, index, schema, converter, staging, file_no, name, options)
    finally:
        converter.close()


def _flush(rows: list[list[str]], lines: list[int], index: dict[str, int], schema: pa.Schema,
           converter: Converter, staging: Staging, file_no: int, name: str,
           options: ReadOptions) -> bool:
    """Convert and stage one batch; False when --strict met a bad record."""
    columns = list(zip(*rows, strict=True))
    arrays = [pa.array(columns[i], pa.string()) for i in index.values()]
    batch = pa.Table.from_arrays(arrays + [pa.array(lines, pa.int64())], schema=schema)
    return stage_converted(converter.convert(batch), staging, file_no, name, options)


def stage_converted(table: pa.Table, staging: Staging, file_no: int, name: str,
                    options: ReadOptions) -> bool:
    """Reject the converted records with a problem, stage the rest; False on a --strict stop."""
    problems = table.column("problem")
    if problems.null_count < len(problems):
        bad_mask = pc.is_valid(problems)
        for row in table.filter(bad_mask).select(["line", "problem"]).to_pylist():
            staging.reject(Reject(name, row["line"], row["problem"]), file_no)
            if options.strict:
                return False
        table = table.filter(pc.invert(bad_mask))
    table = table.drop_columns(["problem"])
    if options.theme:
        table = add_constant_theme(table, options.theme)
    staging.add(table, file_no)
    return True


def read(path: Path, staging: Staging, file_no: int, options: ReadOptions) -> None:
    """Stream a comma-separated table into `staging`."""
    read_table(path, staging, file_no, options, ",")


def read_tsv(path: Path, staging: Staging, file_no: int, options: ReadOptions) -> None:
    """Stream a tab-separated table into `staging`."""
    read_table(path, staging, file_no, options, "\t")


def sniff_delimiter(head: bytes) -> str | None:
    """',' or '\\t' when the first line looks like a header of a table, else None."""
    text = head.removeprefix(UTF8_BOM).split(b"\n", 1)[0].rstrip(b"\r")
    try:
        line = text.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if not line.strip() or line.lstrip().startswith(("{", "[")):
        return None
    tabs, commas = line.count("\t"), line.count(",")
    if tabs and tabs >= commas:
        return "\t"
    if commas:
        return ","
    return None
