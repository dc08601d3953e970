"""GDELT Global Knowledge Graph files (2.1: 27 columns, 1.0: 11 columns) → canonical articles.

DuckDB reads the tab-separated file (no header, no quoting) with every column as text and one
extra column to catch lines with too many; the fields are parsed in SQL and streamed to the staging
area in Arrow batches. Lines with the wrong number of columns or a bad DATE become rejects with
their physical line number.
"""

from __future__ import annotations

import contextlib
import html
import re
import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from importers.base import (
    BATCH_ROWS,
    ImportFormatError,
    OnDuplicate,
    ReadOptions,
    nul_problems,
)
from importers.fips import fips_table
from importers.languages import language_table
from importers.lines import is_gzip, open_maybe_gzip
from store.db import QUERY_ERRORS
from store.load import Staging
from store.records import Reject
from store.taxonomy import load_region_map

FORMAT = "gdelt-gkg"
ON_DUPLICATE: OnDuplicate = "last"

COLUMNS_V2 = (
    "GKGRECORDID", "DATE", "SourceCollectionIdentifier", "SourceCommonName",
    "DocumentIdentifier", "Counts", "V2Counts", "Themes", "V2Themes", "Locations",
    "V2Locations", "Persons", "V2Persons", "Organizations", "V2Organizations", "V2Tone", "Dates",
    "GCAM", "SharingImage", "RelatedImages", "SocialImageEmbeds", "SocialVideoEmbeds",
    "Quotations", "AllNames", "Amounts", "TranslationInfo", "Extras",
)
COLUMNS_V1 = (
    "DATE", "NUMARTS", "COUNTS", "THEMES", "LOCATIONS", "PERSONS", "ORGANIZATIONS", "TONE",
    "CAMEOEVENTIDS", "SOURCES", "SOURCEURLS",
)
# The header line some GKG 1.0 files start with.
_V1_HEADER = "\t".join(COLUMNS_V1[:8])

MAX_LINE_BYTES = 32 * 1024 * 1024
_NULL = "\x01\x02null\x02\x01"  # a null marker no GKG field holds, so empty fields stay ''

_V2_ID = re.compile(rb"^\d{14}-T?\d+$")
_DIGITS14 = re.compile(rb"^\d{14}$")
_DIGITS8 = re.compile(rb"^\d{8}$")
_DIGITS = re.compile(rb"^\d+$")


# -- detection ----------------------------------------------------------------------------------


def version(head: bytes) -> str | None:
    """'2.1' or '1.0' when the start of a file looks like a GKG file of that version, else None."""
    head = head.removeprefix(b"\xef\xbb\xbf")
    lines = head.split(b"\n")
    complete = lines[:-1] if len(lines) > 1 else []
    candidates = [ln.rstrip(b"\r") for ln in complete if ln.strip()][:3]
    if not candidates and lines and lines[0].strip():
        candidates = [lines[0]]  # a first line longer than the head: judge its beginning
        truncated = True
    else:
        truncated = False
    if not candidates:
        return None
    if candidates[0].decode("utf-8", "replace").startswith(_V1_HEADER):
        return "1.0"
    # One malformed line among the first few does not hide the format; two formats do.
    found = {_line_version(ln, truncated) for ln in candidates} - {None}
    return found.pop() if len(found) == 1 else None


def _line_version(line: bytes, truncated: bool) -> str | None:
    fields = line.split(b"\t")
    n = len(fields)
    if (n == 27 or (truncated and 3 < n < 27)) and _V2_ID.match(fields[0]) \
            and _DIGITS14.match(fields[1]) and _DIGITS.match(fields[2]):
        return "2.1"
    if (n == 11 or (truncated and 2 < n < 11)) and _DIGITS8.match(fields[0]) \
            and _DIGITS.match(fields[1]):
        return "1.0"
    return None


def sniff(head: bytes) -> bool:
    """True when the first few KB of a file look like GKG 2.1 (27 columns) or 1.0 (11 columns)."""
    return version(head) is not None


# -- theme mapping ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ThemeMapping:
    """GKG theme codes → our theme ids: exact codes, `PREFIX*` rules, and what to do otherwise."""

    exact: dict[str, list[str]] = field(default_factory=dict)
    prefixes: list[tuple[str, list[str]]] = field(default_factory=list)  # longest first
    keep_unmapped: bool = True


def theme_mapping(options: ReadOptions) -> ThemeMapping | None:
    """The `[gdelt]` part of `--mapping`, checked; None when no mapping was given."""
    if options.mapping is None:
        return None
    where = str(options.mapping_path) if options.mapping_path else "the mapping file"
    section = options.mapping.get("gdelt")
    if not isinstance(section, dict) or not isinstance(section.get("themes"), dict):
        raise ImportFormatError(
            f"{where}: a mapping for GDELT files needs a [gdelt.themes] table "
            '(GKG code = "theme-id" or ["id", ...]); see docs/importing.md'
        )
    unmapped = section.get("unmapped", "keep")
    if unmapped not in ("keep", "drop"):
        raise ImportFormatError(f'{where}: [gdelt] unmapped must be "keep" or "drop"')
    exact: dict[str, list[str]] = {}
    prefixes: list[tuple[str, list[str]]] = []
    for code, target in section["themes"].items():
        targets = [target] if isinstance(target, str) else target
        if not code or not isinstance(targets, list) or not all(
            isinstance(t, str) and t.strip() for t in targets
        ):
            raise ImportFormatError(
                f"{where}: [gdelt.themes] {code!r} must map to a theme id or a list of theme ids"
            )
        targets = [t.strip() for t in targets]
        if code.endswith("*"):
            if "*" in code[:-1]:
                raise ImportFormatError(f"{where}: [gdelt.themes] {code!r}: '*' only at the end")
            prefixes.append((code[:-1], targets))
        elif "*" in code:
            raise ImportFormatError(f"{where}: [gdelt.themes] {code!r}: '*' only at the end")
        else:
            exact[code] = targets
    prefixes.sort(key=lambda p: len(p[0]), reverse=True)
    return ThemeMapping(exact=exact, prefixes=prefixes, keep_unmapped=unmapped == "keep")


def _install_mapping(con: duckdb.DuckDBPyConnection, mapping: ThemeMapping | None) -> str:
    """Put the mapping in session variables; return the SQL that maps a list `themes`."""
    if mapping is None:
        return "themes"
    exact = pa.table(
        {
            "code": pa.array(list(mapping.exact), pa.string()),
            "targets": pa.array(list(mapping.exact.values()), pa.list_(pa.string())),
        }
    )
    rules = pa.table(
        {
            "p": pa.array([p for p, _ in mapping.prefixes], pa.string()),
            "t": pa.array([t for _, t in mapping.prefixes], pa.list_(pa.string())),
        }
    )
    con.register("_theme_exact", exact)
    con.register("_theme_rules", rules)
    con.execute(
        "SET VARIABLE theme_exact = (SELECT map(coalesce(list(code), []), "
        "coalesce(list(targets), [])) FROM _theme_exact)"
    )
    con.execute(
        "SET VARIABLE theme_rules = (SELECT coalesce(list({'p': p, 't': t} ORDER BY length(p) "
        "DESC), []) FROM _theme_rules)"
    )
    rest = "[th]" if mapping.keep_unmapped else "[]::VARCHAR[]"
    return f"""list_distinct(flatten(list_transform(themes, lambda th: coalesce(
        getvariable('theme_exact')[th],
        list_filter(getvariable('theme_rules'), lambda r: starts_with(th, r.p))[1].t,
        {rest}))))"""


# -- reading ------------------------------------------------------------------------------------


def _blank_lines(path: Path, chunk_size: int = 16 * 1024 * 1024) -> list[int]:
    """Physical numbers (from 1) of the empty lines, which DuckDB's reader skips."""
    blanks: set[int] = set()
    newlines = 0  # newlines in the file before the current chunk
    carry = b"\n"  # the bytes before the chunk; at the start, a newline that is not in the file
    start = True
    with open_maybe_gzip(path) as fh:
        while chunk := fh.read(chunk_size):
            text = carry + chunk
            if b"\n\n" in text or b"\n\r\n" in text:
                # newlines in the file before text[0]
                base = -1 if start else newlines - carry.count(b"\n")
                for m in re.finditer(rb"\n(?=\r?\n)", text):
                    blanks.add(base + text.count(b"\n", 0, m.start()) + 2)
            newlines += chunk.count(b"\n")
            carry, start = text[-2:], False
    return sorted(blanks)


def _source_sql(ncols: int) -> str:
    cols = ", ".join(f"'c{i:02d}': 'VARCHAR'" for i in range(1, ncols + 2))
    return (
        "SELECT * FROM read_csv($path, compression = $compression, auto_detect = false, "
        "header = false, delim = '\t', "
        "quote = '', escape = '', comment = '', null_padding = true, "
        f"strict_mode = false, nullstr = $null, max_line_size = {MAX_LINE_BYTES}, "
        f"buffer_size = {2 * MAX_LINE_BYTES}, columns = {{{cols}}}) WITH ORDINALITY"
    )


def _bad_count(ncols: int) -> str:
    """SQL: how many columns a line had, as text, when it is not `ncols` (NULL when it is)."""
    missing = " + ".join(f"(c{i:02d} IS NULL)::INT" for i in range(2, ncols + 1))
    return (
        f"CASE WHEN c{ncols + 1:02d} IS NOT NULL THEN 'more than {ncols}' "
        f"WHEN c{ncols:02d} IS NULL THEN ({ncols} - ({missing}))::VARCHAR"
    )


_COUNTRIES_SQL = """
    list_distinct(list_filter(list_transform(
        list_concat(string_split(coalesce({a}, ''), ';'), string_split(coalesce({b}, ''), ';')),
        lambda loc: trim(split_part(loc, '#', 3))), lambda c: c <> ''))
"""


def _query_v2(themes_sql: str) -> str:
    return f"""
    WITH src AS ({_source_sql(27)}),
    parsed AS (
        SELECT
            ordinality AS ord,
            c01, c02, c03, c04, c05, c16, c26, c27,
            {_bad_count(27)}
            END AS bad_count,
            try_strptime(trim(c02), '%Y%m%d%H%M%S') AS batch_time,
            -- V1 'CODE;CODE;' and V2 'CODE,offset;CODE,offset;' as one list of codes
            list_distinct(list_filter(string_split(
                coalesce(c08, '') || ';' || regexp_replace(coalesce(c09, ''), ',[0-9]*', '', 'g'),
                ';'), lambda t: t <> '')) AS themes,
            {_COUNTRIES_SQL.format(a="c10", b="c11")} AS fips_codes
        FROM src
    )
    SELECT
        ord,
        CASE
            WHEN bad_count IS NOT NULL
                THEN 'expected 27 tab-separated columns (GKG 2.1), found ' || bad_count
            WHEN batch_time IS NULL
                THEN 'bad DATE ' || coalesce('"' || left(c02, 40) || '"', '(empty)')
                     || ' (expected YYYYMMDDHHMMSS)'
            WHEN trim(c01) = '' THEN 'empty GKGRECORDID'
        END AS problem,
        trim(c01) AS id,
        CASE WHEN trim(c03) = '1' THEN nullif(trim(c05), '') END AS url,
        coalesce(regexp_extract(c27, '<PAGE_TITLE>(.*?)</PAGE_TITLE>', 1), '') AS title,
        nullif(trim(c04), '') AS source,
        coalesce(
            try_strptime(regexp_extract(c27,
                '<PAGE_PRECISEPUBTIMESTAMP>\\s*(\\d{{14}})\\s*</PAGE_PRECISEPUBTIMESTAMP>', 1),
                '%Y%m%d%H%M%S'),
            batch_time)::TIMESTAMPTZ AS published,
        {themes_sql} AS themes,
        list_distinct(list_filter(list_transform(fips_codes,
            lambda c: getvariable('fips_iso')[c]),
            lambda c: c IS NOT NULL AND getvariable('known')[c])) AS countries,
        list_filter(fips_codes, lambda c: getvariable('fips_iso')[c] IS NULL) AS no_iso,
        list_filter(list_transform(fips_codes, lambda c: getvariable('fips_iso')[c]),
            lambda c: c IS NOT NULL AND getvariable('known')[c] IS NULL) AS unknown_iso,
        CASE WHEN trim(coalesce(c26, '')) = '' THEN 'en'
             ELSE coalesce(
                getvariable('lang')[lower(regexp_extract(c26, 'srclc:([A-Za-z]+)', 1))],
                nullif(lower(regexp_extract(c26, 'srclc:([A-Za-z]+)', 1)), ''))
        END AS language,
        try_cast(trim(split_part(c16, ',', 1)) AS DOUBLE) AS tone
    FROM parsed
    """


def _query_v1(themes_sql: str) -> str:
    return f"""
    WITH src AS ({_source_sql(11)}),
    parsed AS (
        SELECT
            ordinality AS ord,
            c01, c08, c10, c11,
            {_bad_count(11)}
            END AS bad_count,
            try_strptime(trim(c01), '%Y%m%d') AS batch_day,
            list_distinct(list_filter(
                list_transform(string_split(coalesce(c04, ''), ';'), lambda t: trim(t)),
                lambda t: t <> '')) AS themes,
            {_COUNTRIES_SQL.format(a="c05", b="NULL")} AS fips_codes,
            -- SOURCEURLS may hold several URLs, or a citation ("BBC Monitoring") instead
            CASE WHEN regexp_matches(trim(split_part(coalesce(c11, ''), '<UDIV>', 1)),
                                     '^[A-Za-z]+://')
                 THEN trim(split_part(c11, '<UDIV>', 1)) END AS first_url
        FROM src
        WHERE NOT (ordinality = 1 AND starts_with(c01, 'DATE') AND trim(c02) = 'NUMARTS')
    )
    SELECT
        ord,
        CASE
            WHEN bad_count IS NOT NULL
                THEN 'expected 11 tab-separated columns (GKG 1.0), found ' || bad_count
            WHEN batch_day IS NULL
                THEN 'bad DATE ' || coalesce('"' || left(c01, 40) || '"', '(empty)')
                     || ' (expected YYYYMMDD)'
        END AS problem,
        CASE WHEN first_url IS NULL THEN 'gkg1-' || substr(sha256(
            concat_ws(chr(31), c01, c08, c10, c11, array_to_string(themes, ';'),
                      array_to_string(fips_codes, ';'))), 1, 20) END AS id,
        first_url AS url,
        '' AS title,
        nullif(trim(split_part(coalesce(c10, ''), ';', 1)), '') AS source,
        batch_day::TIMESTAMPTZ AS published,
        {themes_sql} AS themes,
        list_distinct(list_filter(list_transform(fips_codes,
            lambda c: getvariable('fips_iso')[c]),
            lambda c: c IS NOT NULL AND getvariable('known')[c])) AS countries,
        list_filter(fips_codes, lambda c: getvariable('fips_iso')[c] IS NULL) AS no_iso,
        list_filter(list_transform(fips_codes, lambda c: getvariable('fips_iso')[c]),
            lambda c: c IS NOT NULL AND getvariable('known')[c] IS NULL) AS unknown_iso,
        NULL::VARCHAR AS language,
        try_cast(trim(split_part(c08, ',', 1)) AS DOUBLE) AS tone
    FROM parsed
    """


def _connect(mapping: ThemeMapping | None) -> tuple[duckdb.DuckDBPyConnection, str]:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET preserve_insertion_order = true")
    con.register("_fips", fips_table())
    con.execute("SET VARIABLE fips_iso = (SELECT map(list(fips), list(iso2)) FROM _fips)")
    con.register("_known", load_region_map().select("country").to_arrow())
    con.execute(
        "SET VARIABLE known = (SELECT map(coalesce(list(country), []), "
        "coalesce(list(true), [])) FROM _known)"
    )
    con.register("_lang", language_table())
    con.execute(
        "SET VARIABLE lang = (SELECT map(list(key), list(iso639_1)) FROM _lang "
        "WHERE length(key) = 3)"
    )
    return con, _install_mapping(con, mapping)


def _unescape_titles(titles: pa.ChunkedArray | pa.Array) -> pa.Array:
    """Decode HTML character references in the titles that hold any (GDELT keeps them)."""
    arr = titles.combine_chunks() if isinstance(titles, pa.ChunkedArray) else titles
    mask = pc.match_substring_regex(arr, r"&(#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")
    if not pc.any(mask).as_py():
        return arr
    values = arr.to_pylist()
    for i, hit in enumerate(mask.to_pylist()):
        if hit:
            values[i] = html.unescape(values[i])
    return pa.array(values, pa.string())


@dataclass
class CodeReport:
    """What a GDELT read left out without rejecting anything: country codes it could not use."""

    no_iso: dict[str, int] = field(default_factory=dict)  # FIPS codes with no ISO equivalent
    unknown_iso: dict[str, int] = field(default_factory=dict)  # ISO codes not in the region map

    def describe(self) -> str | None:
        parts = []
        if self.no_iso:
            parts.append(
                f"{sum(self.no_iso.values()):,} FIPS country codes with no ISO 3166-1 "
                f"equivalent ({_top(self.no_iso)})"
            )
        if self.unknown_iso:
            parts.append(
                f"{sum(self.unknown_iso.values()):,} country codes missing from the region map "
                f"({_top(self.unknown_iso)})"
            )
        if not parts:
            return None
        return "left out of articles' countries (not an error): " + "; ".join(parts)

    def count(self, column: pa.ChunkedArray, into: dict[str, int]) -> None:
        """Add the codes of a list column (one list per article) to `into`."""
        flat = pc.list_flatten(column.combine_chunks())
        if len(flat) == 0:
            return
        for item in pc.value_counts(flat).to_pylist():
            into[item["values"]] = into.get(item["values"], 0) + int(item["counts"])


def _top(counts: dict[str, int]) -> str:
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:8]
    more = ", ..." if len(counts) > len(top) else ""
    return ", ".join(f"{code} ×{n:,}" for code, n in top) + more


def _batches(
    path: Path, options: ReadOptions
) -> Iterator[tuple[pa.RecordBatch, list[int] | None]]:
    with _unzipped(path) as source:
        yield from _batches_of(source, path, options)


@contextlib.contextmanager
def _unzipped(path: Path) -> Iterator[Path]:
    """The file itself, or the one file of a .zip archive (how GDELT publishes GKG files),
    extracted to a temporary folder for the duration of the read."""
    if not zipfile.is_zipfile(path):
        yield path
        return
    try:
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.infolist() if not m.is_dir()]
            if len(members) != 1:
                raise ImportFormatError(
                    f"{path}: a zip archive of {len(members)} files; unzip it and import the "
                    "files (or the folder)"
                )
            with tempfile.TemporaryDirectory(prefix="softpower-gkg-") as tmp:
                target = Path(tmp) / "member.gkg.csv"
                with archive.open(members[0]) as src, target.open("wb") as dst:
                    shutil.copyfileobj(src, dst, 16 * 1024 * 1024)
                yield target
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as exc:
        raise ImportFormatError(f"{path}: cannot be unzipped ({exc})") from exc


def _batches_of(
    source: Path, path: Path, options: ReadOptions
) -> Iterator[tuple[pa.RecordBatch, list[int] | None]]:
    """Read `source` (the file, or what `path` unzips to); messages name `path`."""
    head = _read_head(source, path)
    ver = version(head)
    if ver is None:
        raise ImportFormatError(
            f"{path}: not a GDELT GKG file (expected 27 tab-separated columns for GKG 2.1 "
            "or 11 for GKG 1.0 on every line, no header)"
        )
    mapping = theme_mapping(options)
    try:
        blanks = _blank_lines(source)
    except OSError as exc:
        raise ImportFormatError(f"{path}: cannot be read ({exc})") from exc
    params = {"path": str(source), "null": _NULL,
              "compression": "gzip" if is_gzip(source) else "none"}
    con, themes_sql = _connect(mapping)
    query = _query_v2(themes_sql) if ver == "2.1" else _query_v1(themes_sql)
    try:
        for batch in con.sql(query, params=params).to_arrow_reader(BATCH_ROWS):
            yield batch, blanks
    except QUERY_ERRORS as exc:
        raise ImportFormatError(_describe_error(path, ver, exc)) from exc
    finally:
        con.close()


def _read_head(source: Path, path: Path, size: int = 64 * 1024) -> bytes:
    try:
        with open_maybe_gzip(source) as fh:
            return fh.read(size)
    except OSError as exc:
        raise ImportFormatError(f"{path}: cannot be read ({exc})") from exc


def _describe_error(path: Path, ver: str, exc: BaseException) -> str:
    """DuckDB's reader error as `file:line: reason`, without its long list of options."""
    text = str(exc)
    where = re.search(r"CSV Error on Line: (\d+)", text)
    prefix = f"{path}:{where.group(1)}" if where else str(path)
    if "Invalid unicode" in text:
        return f"{prefix}: not valid UTF-8 text (GDELT files are UTF-8)"
    if "maximum line size" in text.lower():
        return f"{prefix}: a line longer than {MAX_LINE_BYTES // (1024 * 1024)} MB"
    lines = [ln for ln in text.splitlines() if ln.strip()]
    reason = next((ln for ln in lines[1:] if not ln.startswith("Original Line")), lines[0]
                  if lines else type(exc).__name__)
    return f"{prefix}: cannot be read as GKG {ver}: {reason.strip()}"


def _physical_lines(ord_col: pa.Array, blanks: list[int] | None) -> pa.Array:
    """Row ordinals (1 = first non-empty line) → physical line numbers, given the empty lines."""
    ords = ord_col.cast(pa.int64())
    if not blanks:
        return ords
    keys = pl.Series([b - i for i, b in enumerate(blanks)], dtype=pl.Int64)
    series = pl.Series(ords)
    shift = keys.search_sorted(series, side="right")
    return (series + shift.cast(pl.Int64)).to_arrow()


def read(path: Path, staging: Staging, file_no: int, options: ReadOptions) -> None:
    """Stream a GKG 2.1 or 1.0 file into `staging`; bad lines become rejects."""
    report = read_with_report(path, staging, file_no, options)
    note = report.describe()
    if note is not None:
        staging.note(note, file_no)


def read_with_report(
    path: Path, staging: Staging, file_no: int, options: ReadOptions
) -> CodeReport:
    """`read`, returning what was dropped along the way."""
    path = Path(path)
    name = staging.files[file_no].path if file_no < len(staging.files) else str(path)
    report = CodeReport()
    extra_theme = options.theme.strip() if options.theme and options.theme.strip() else None
    with contextlib.closing(_batches(path, options)) as batches:
        for batch, blanks in batches:
            table = pa.Table.from_batches([batch])
            lines = _physical_lines(table.column("ord").combine_chunks(), blanks)
            table = table.append_column("line", lines)
            problems = table.column("problem")
            bad_mask = pc.is_valid(problems)
            if pc.any(bad_mask).as_py():
                bad = table.filter(bad_mask).select(["line", "problem"]).to_pylist()
                for row in bad:
                    staging.reject(Reject(name, int(row["line"]), row["problem"]), file_no)
                    if options.strict:
                        return report
                table = table.filter(pc.invert(bad_mask))
            if table.num_rows == 0:
                continue
            report.count(table.column("no_iso"), report.no_iso)
            report.count(table.column("unknown_iso"), report.unknown_iso)
            themes = table.column("themes")
            if extra_theme is not None:
                themes = _add_theme(table.column("themes"), extra_theme)
            out = pa.table(
                {
                    "id": table.column("id"),
                    "url": table.column("url"),
                    "title": _unescape_titles(table.column("title")),
                    "source": table.column("source"),
                    "published": table.column("published"),
                    "themes": themes,
                    "countries": table.column("countries"),
                    "language": table.column("language"),
                    "tone": table.column("tone"),
                    "line": table.column("line"),
                }
            )
            nul = nul_problems(out)
            if nul is not None:
                bad_rows = pc.is_valid(nul)
                for line, reason in zip(out.column("line").filter(bad_rows).to_pylist(),
                                        nul.filter(bad_rows).to_pylist(), strict=True):
                    staging.reject(Reject(name, int(line), reason), file_no)
                    if options.strict:
                        return report
                out = out.filter(pc.invert(bad_rows))
            staging.add(out, file_no)
    return report


def _add_theme(themes: pa.ChunkedArray, theme: str) -> pa.Array:
    frame = pl.DataFrame({"t": pl.Series(themes.combine_chunks())})
    return frame.select(
        pl.col("t").fill_null(pl.lit([], dtype=pl.List(pl.String))).list.concat(
            pl.lit([theme], dtype=pl.List(pl.String))
        ).list.unique(maintain_order=True)
    ).to_series().to_arrow()
