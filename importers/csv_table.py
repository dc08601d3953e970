"""CSV and TSV tables (canonical column names, or any names with a `--mapping`) → articles.

Two ways to split records, one result. When every physical line of the file is one whole record
(no blank lines, an even number of quotes on every line: checked with NumPy on the raw bytes) and
DuckDB's strict CSV reader accepts the whole file, DuckDB reads it and record k sits on line k + 2:
read, converted and staged by one parallel query of the staging database when the mapping needs
no country code lookups (`Staging.add_query`), else batch by batch.
Otherwise Python's csv module splits the records: it knows quoted newlines, blank lines and
ragged rows and the physical line each record starts on. Either way each batch is converted to
canonical fields by one DuckDB query (importers/mapping.py). The header is line 1.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from importers.base import (
    BATCH_ROWS,
    ImportFormatError,
    OnDuplicate,
    ReadOptions,
    nul_problems,
)
from importers.lines import MAX_LINE_BYTES, UTF8_BOM, is_gzip, open_maybe_gzip
from importers.mapping import Converter, add_constant_theme, from_options, resolve_columns
from store.db import QUERY_ERRORS
from store.load import Staging
from store.records import Reject

FORMAT = "csv"
ON_DUPLICATE: OnDuplicate = "last"

# A field longer than this fails the file naming its line, so one broken quote cannot make the
# reader hold a whole file in memory (the same limit as a line of JSON Lines or GKG).
MAX_FIELD_BYTES = MAX_LINE_BYTES
csv.field_size_limit(MAX_FIELD_BYTES)


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
                text = str(exc)
                if "field larger than field limit" in text:
                    text = (f"a field longer than {MAX_FIELD_BYTES // (1024 * 1024)} MB (an "
                            "unclosed quote?)")
                raise ImportFormatError(f"{path}:{end + 1}: unreadable CSV: {text}") from None
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


READER_MEMORY = "512MB"
_NULL = "\x01\x02null\x02\x01"  # a null marker no text holds, so empty fields stay ''


def simple_line_count(path: Path, block_bytes: int = 16 * 1024 * 1024) -> int | None:
    """The number of lines when each one can only be a whole record, else None.

    A line is a whole record when it is not blank and holds an even number of double quotes
    (so no quoted field runs into the next line).
    """
    lines = 0
    parity = 0  # quotes seen on the current, unfinished line
    pending = b""  # the start (up to 2 bytes) of the unfinished line before this block
    pending_len = 0
    last = b""
    with open_maybe_gzip(path) as fh:
        while block := fh.read(block_bytes):
            buf = np.frombuffer(block, dtype=np.uint8)
            newlines = np.flatnonzero(buf == 10)
            quote_at = np.flatnonzero(buf == 34)
            if len(newlines):
                counts = np.searchsorted(quote_at, newlines)  # quotes before each newline
                per_line = np.diff(counts, prepend=0)
                per_line[0] += parity
                if np.any(per_line % 2):
                    return None
                starts = np.concatenate(([0], newlines[:-1] + 1))
                lengths = newlines - starts
                blank = (lengths == 0) | ((lengths == 1) & (buf[starts] == 13))
                if pending_len:
                    first_line = (pending + block[: newlines[0]])[:2]
                    blank[0] = first_line in (b"", b"\r")
                if np.any(blank):
                    return None
                parity = int(len(quote_at) - counts[-1])
                lines += len(newlines)
            else:
                parity += len(quote_at)
            tail = block[newlines[-1] + 1:] if len(newlines) else block
            if len(newlines):
                pending, pending_len = tail[:2], len(tail)
            else:
                pending, pending_len = (pending + tail)[:2], pending_len + len(tail)
            last = block[-1:]
    if last and last != b"\n":
        if parity % 2:
            return None
        lines += 1
    return lines


# DuckDB's reader works on one buffer per thread, and a buffer must be larger than the longest
# line. Its default for our line limit would be 16 times the limit, 512 MB: one buffer, one thread
# for any file smaller than that. Just above the limit, a 170 MB file is read on every core
# (staging 1M CSV articles: 2.9 s -> 2.1 s).
_BUFFER_BYTES = MAX_FIELD_BYTES + 1024 * 1024


def _duckdb_source(path: Path, delimiter: str, width: int) -> str:
    columns = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width))
    return (
        "read_csv($path, auto_detect = false, header = false, skip = 1, delim = $delim, "
        f"compression = '{'gzip' if is_gzip(path) else 'none'}', "
        "quote = '\"', escape = '\"', strict_mode = true, null_padding = false, "
        f"nullstr = $null, max_line_size = {MAX_FIELD_BYTES}, buffer_size = {_BUFFER_BYTES}, "
        f"columns = {{{columns}}})"
    )


def _fast_batches(path: Path, delimiter: str, header: list[str], wanted: list[str],
                  expected: int) -> Iterator[pa.Table] | None:
    """DuckDB's reader on a file whose lines are its records, or None when it does not fit."""
    con = duckdb.connect()
    # The parallel reader runs ahead of the consumer: cap what it may buffer (importing a
    # 10M-row CSV peaked at 4.2 GB uncapped, 1.8 GB capped).
    con.execute(f"SET memory_limit = '{READER_MEMORY}'")
    params = {"path": str(path), "delim": delimiter, "null": _NULL}
    source = _duckdb_source(path, delimiter, len(header))
    try:
        count = con.sql(f"SELECT count(*) FROM {source}", params=params).fetchall()[0][0]
    except QUERY_ERRORS:
        con.close()
        return None
    if count != expected:
        con.close()
        return None
    select = ", ".join(f'c{header.index(c)} AS "{c.replace(chr(34), chr(34) * 2)}"'
                       for c in wanted)

    def batches() -> Iterator[pa.Table]:
        line = 2
        try:
            reader = con.sql(f"SELECT {select} FROM {source}", params=params).to_arrow_reader(
                BATCH_ROWS
            )
            for batch in reader:
                n = batch.num_rows
                table = pa.Table.from_batches([batch]).append_column(
                    "line", pa.array(np.arange(line, line + n, dtype=np.int64))
                )
                line += n
                yield table
        except QUERY_ERRORS as exc:
            raise ImportFormatError(f"{path}: cannot be read ({exc})") from exc
        finally:
            con.close()

    return batches()


def _stage_by_query(path: Path, delimiter: str, header: list[str], wanted: list[str],
                    expected: int, converter: Converter, staging: Staging, file_no: int,
                    options: ReadOptions) -> bool:
    """Read, convert and stage a file whose lines are its records in one parallel query of the
    staging database; False (nothing staged) when it does not fit."""
    theme = options.theme.strip() if options.theme else ""
    select = ", ".join(f'c{header.index(c)} AS "{c.replace(chr(34), chr(34) * 2)}"'
                       for c in wanted)
    source = converter.query_source(
        f"(SELECT {select} FROM {_duckdb_source(path, delimiter, len(header))})", theme or None
    )
    if source is None:
        return False
    params: dict[str, object] = {"path": str(path), "delim": delimiter, "null": _NULL}
    if theme:
        params["theme"] = theme
    return staging.add_query(source, params, file_no, expected, first_line=2)


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
        lines_in_file = None
        if first[0] == 1 and len(set(header)) == width:
            lines_in_file = simple_line_count(path)
        fast = None
        if lines_in_file is not None and lines_in_file > 1:
            if _stage_by_query(path, delimiter, header, wanted, lines_in_file - 1, converter,
                               staging, file_no, options):
                records.close()
                return
            fast = _fast_batches(path, delimiter, header, wanted, lines_in_file - 1)
        if fast is not None:
            records.close()
            for table in fast:
                table = table.cast(schema)
                if not stage_converted(converter.convert(table), staging, file_no, name,
                                       options):
                    return
            return
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
    nul = nul_problems(table)
    if nul is not None:
        merged = pc.coalesce(table.column("problem"), nul)
        table = table.set_column(table.column_names.index("problem"), "problem", merged)
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
