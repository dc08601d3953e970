"""Canonical JSON Lines (plain or gzip) → canonical articles, validated with physical line numbers.

The fast path: when every physical line is one record, DuckDB's parallel `read_json` reads the
file inside the staging database and the records are checked and staged by the same query
(`Staging.add_query`); record k is on line k. Any record the careful path below would look at
closer, any reader error and any blank line send the whole file to the careful path instead.

The careful path is vectorised too: blocks of lines go to DuckDB, which parses every line once with
`json_transform` into typed columns and flags the few lines that may be wrong (invalid JSON, not
an object, a missing or unparseable `published`, a list or object where text is expected, a list
field that is not a list, a tone that is not a number). Only flagged lines are parsed again, in
Python, to either accept them or name the problem with the line's physical number.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from importers.base import BATCH_ROWS, ImportFormatError, OnDuplicate, ReadOptions
from importers.lines import GZIP_MAGIC, MAX_LINE_BYTES, DamagedGzip, line_batches, open_maybe_gzip
from importers.mapping import add_constant_theme
from store.db import QUERY_ERRORS
from store.load import Staging
from store.records import Reject

FORMAT = "jsonl"
ON_DUPLICATE: OnDuplicate = "last"

STRING_FIELDS = ("id", "url", "title", "source", "source_country", "language", "summary")
LIST_FIELDS = ("themes", "countries", "regions")

_TYPES = {
    **{f: "VARCHAR" for f in STRING_FIELDS},
    "published": "VARCHAR",
    **{f: "VARCHAR[]" for f in LIST_FIELDS},
    "tone": "VARCHAR",
}
_STRUCT = json.dumps(_TYPES)


def _bracketed(expr: str) -> str:
    """SQL: true when the text `expr` may be an object or array that DuckDB turned into text:
    JSON text of one. A title such as "[Analysis] …" is not, and stays on the fast path.
    (A CASE, not AND: DuckDB computes both sides of an AND outside a filter, and `json_valid` of
    every title and summary cost ~0.3 s per million records. `ord`, the code of the first
    character, is half the work of `left(…, 1)`.)"""
    return (f"(CASE WHEN ord({expr}) IN (91, 123) "
            f"THEN coalesce(json_valid({expr}), false) ELSE false END)")


def _suspect_sql() -> str:
    checks = [
        "j IS NULL",
        "contains(raw, '\\u0000')",
        "j.title IS NULL",
        "j.published IS NULL",
        "published IS NULL",
        "(j.tone IS NOT NULL AND tone IS NULL)",
    ]
    checks += [_bracketed(f"j.{f}") for f in STRING_FIELDS]
    for f in LIST_FIELDS:
        checks.append(f"(j.{f} IS NULL AND contains(raw, '\"{f}\"'))")
        checks.append(
            f"list_bool_or(list_transform(j.{f}, lambda v: {_bracketed('v')}))"
        )
    return " OR ".join(checks)


_QUERY = f"""
WITH src AS (
    SELECT line, raw FROM chunk
    WHERE strlen(raw) > 16 OR trim(raw, ' \t\r\n') <> ''
),
parsed AS (
    SELECT line, raw, try(json_transform(raw, '{_STRUCT}')) AS j FROM src
),
typed AS (
    SELECT line, raw, j,
        CASE WHEN isfinite(try_cast(j.published AS TIMESTAMPTZ))
            THEN try_cast(j.published AS TIMESTAMPTZ) END AS published,
        try_cast(j.tone AS DOUBLE) AS tone
    FROM parsed
)
SELECT
    line,
    j.id AS id, j.url AS url, j.title AS title, j.source AS source, published,
    j.themes AS themes, j.countries AS countries, j.regions AS regions,
    j.source_country AS source_country, j.language AS language, tone, j.summary AS summary,
    CASE WHEN {_suspect_sql()} THEN raw END AS suspect
FROM typed
"""


# -- the fast path: DuckDB's own parallel reader, when the file's lines are its records ----------

def _physical_lines(path: Path, block_bytes: int = 8 * 1024 * 1024) -> int:
    """The number of physical lines of the (decompressed) file; 0 when it cannot be read.
    (Read into one reused buffer: half the time of a new bytes object per block.)"""
    lines = 0
    last = ord("\n")  # an empty file has no lines
    buffer = bytearray(block_bytes)
    try:
        with open_maybe_gzip(path) as fh:
            while size := fh.readinto(buffer):
                lines += buffer.count(b"\n", 0, size)
                last = buffer[size - 1]
    except (OSError, DamagedGzip):  # the careful path names the damage
        return 0
    return lines + (last != ord("\n"))


def _fast_source(compression: str, theme: str | None) -> str:
    """The staging query over DuckDB's reader: canonical columns and `suspect` (true where the
    careful path would look closer: its checks, on the parsed values), in the file's order."""
    columns = ", ".join(f"'{name}': '{typ}'" for name, typ in _TYPES.items())
    checks = [
        "title IS NULL",
        "published IS NULL",
        "published_at IS NULL",
        "(tone IS NOT NULL AND tone_value IS NULL)",
    ]
    checks += [_bracketed(f) for f in STRING_FIELDS]
    checks += [f"contains({f}, chr(0))" for f in (*STRING_FIELDS, "published")]
    for f in LIST_FIELDS:
        checks.append(
            f"list_bool_or(list_transform({f}, lambda v: {_bracketed('v')} "
            "OR contains(v, chr(0))))"
        )
    themes = "list_concat(coalesce(themes, []), [$theme])" if theme else "themes"
    return f"""
        SELECT id, url, title, source,
            published_at AS published, {themes} AS themes, countries, regions, source_country,
            language, tone_value AS tone, summary, coalesce({" OR ".join(checks)}, false)
                AS suspect, NULL::VARCHAR AS problem
        FROM (
            SELECT *,
                CASE WHEN isfinite(try_cast(published AS TIMESTAMPTZ))
                    THEN try_cast(published AS TIMESTAMPTZ) END AS published_at,
                try_cast(tone AS DOUBLE) AS tone_value
            FROM read_json($path, format = 'newline_delimited', records = true,
                           compression = '{compression}', columns = {{{columns}}})
        )
    """


def _read_fast(path: Path, staging: Staging, file_no: int, options: ReadOptions) -> bool:
    """Stage the file through DuckDB's reader; False (nothing staged) when it does not fit:
    a line that is not one whole, plain record, or any record the careful path would examine.
    (The file's physical lines are counted by a second thread while DuckDB reads it.)"""
    with path.open("rb") as fh:
        compression = "gzip" if fh.read(2) == GZIP_MAGIC else "none"
    theme = options.theme.strip() if options.theme else ""
    params: dict[str, object] = {"path": str(path)}
    if theme:
        params["theme"] = theme
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="lines") as counter:
        lines = counter.submit(_physical_lines, path)
        # An unreadable or empty file has no lines: nothing is staged (its reading fails too).
        return staging.add_query(_fast_source(compression, theme or None), params, file_no,
                                 lambda: lines.result() or -1)


def _connect() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET preserve_insertion_order = true")
    con.execute("SET threads = 2")
    return con


# -- diagnosis of flagged lines ------------------------------------------------------------------

_DATE_PREFIX = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})")


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"


def date_problem(value: str) -> str:
    """Why `value` is not a date or ISO-8601 timestamp."""
    m = _DATE_PREFIX.match(value)
    if m:
        try:
            date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            return f'"published" {value!r}: no such date'
    return f'"published" {value!r} is not a date or ISO-8601 timestamp'


def diagnose(raw: str, published_ok: bool) -> str | None:
    """The reason a flagged line cannot be accepted, or None when it is fine after all.

    The rules are DuckDB's, made explicit: a number or boolean where text is expected is taken as
    its text, a null inside a list is ignored, and a number written as a string is a number.
    """
    try:
        record = json.loads(raw)
    except json.JSONDecodeError as exc:
        where = "column" if exc.msg.endswith(" at") else "at column"
        return f"invalid JSON ({exc.msg} {where} {exc.colno})"
    except RecursionError:
        return "invalid JSON (nested too deeply)"
    if not isinstance(record, dict):
        return f"not a JSON object but {_json_type(record)}"
    for name in ("title", "published"):
        if record.get(name) is None:
            return f'missing required field "{name}"'
    for name in (*STRING_FIELDS, "published", *LIST_FIELDS):
        value = record.get(name)
        texts = value if isinstance(value, list) else [value]
        if any(isinstance(v, str) and "\x00" in v for v in texts):
            return f'"{name}" holds a NUL character (\\u0000)'
    for name in STRING_FIELDS:
        value = record.get(name)
        if isinstance(value, list | dict):
            return f'"{name}" must be a string, not {_json_type(value)}'
    if not isinstance(record["published"], str):
        return f'"published" must be a string (a date or timestamp), not ' \
            f'{_json_type(record["published"])}'
    for name in LIST_FIELDS:
        value = record.get(name)
        if value is None:
            continue
        if not isinstance(value, list):
            return f'"{name}" must be a list of strings, not {_json_type(value)}'
        for item in value:
            if isinstance(item, list | dict):
                return f'"{name}" must be a list of strings, but holds {_json_type(item)}'
    tone = record.get("tone")
    if tone is not None and not _is_number(tone):
        return f'"tone" must be a number, not {_json_type(tone)}'
    if not published_ok:
        return date_problem(record["published"])
    return None


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return True
    if isinstance(value, str):
        try:
            float(value)
        except ValueError:
            return False
        return True
    return False


# -- reading ------------------------------------------------------------------------------------


def typed_batches(path: Path) -> Iterator[tuple[pa.Table, list[int]]]:
    """Typed canonical columns plus `line` and `suspect` (the raw line when it needs a look), with
    the lines of the block that were too long to read (see importers/lines.py)."""
    con = _connect()
    try:
        for chunk in line_batches(path):
            raw = chunk.column("raw")
            overlong = chunk.filter(raw.is_null()).column("line").to_pylist() \
                if raw.null_count else []
            con.register("chunk", chunk)
            try:
                result = con.sql(_QUERY).to_arrow_table()
            finally:
                con.unregister("chunk")
            if result.num_rows == 0:
                yield result, overlong
                continue
            for i, batch in enumerate(result.to_batches(BATCH_ROWS)):
                yield pa.Table.from_batches([batch], schema=result.schema), overlong if not i \
                    else []
    except QUERY_ERRORS as exc:
        raise ImportFormatError(f"{path}: cannot be read as JSON lines ({exc})") from exc
    finally:
        con.close()


def read(path: Path, staging: Staging, file_no: int, options: ReadOptions) -> None:
    """Stream one JSON Lines file into `staging`; bad lines become rejects with their line."""
    path = Path(path)
    name = staging.files[file_no].path if file_no < len(staging.files) else str(path)
    if options.mapping and set(options.mapping) - {"gdelt"}:
        staging.note("the mapping file was not used: JSON Lines records are canonical", file_no)
    if _read_fast(path, staging, file_no, options):
        return
    too_long = f"line longer than {MAX_LINE_BYTES // (1024 * 1024)} MB (not read)"
    lines_seen = 0
    for table, overlong in typed_batches(path):
        lines_seen += table.num_rows + len(overlong)
        bad: list[tuple[int, str]] = [(line, too_long) for line in overlong]
        suspect = table.column("suspect")
        if suspect.null_count < len(suspect):
            mask = pc.is_valid(suspect)
            flagged = table.filter(mask)
            keep = [True] * table.num_rows
            positions = pc.indices_nonzero(mask).to_pylist()
            published = flagged.column("published").is_valid().to_pylist()
            for pos, line, raw, ok in zip(
                positions,
                flagged.column("line").to_pylist(),
                flagged.column("suspect").to_pylist(),
                published,
                strict=True,
            ):
                if not raw.strip():
                    keep[pos] = False  # a blank line
                    continue
                reason = diagnose(raw, ok)
                if reason is not None:
                    keep[pos] = False
                    bad.append((line, reason))
            table = table.filter(pa.array(keep))
        for line, reason in sorted(bad):
            staging.reject(Reject(name, line, reason), file_no)
            if options.strict:
                return
        table = table.drop_columns(["suspect"])
        if options.theme:
            table = add_constant_theme(table, options.theme)
        staging.add(table, file_no)
    if not lines_seen:
        staging.note("the file holds no records", file_no)
