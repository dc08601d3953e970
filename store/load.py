"""Stage canonical records off the main database, validate them, then merge them in one transaction.

An import never holds the database while it parses: batches go into a private staging database
(in memory up to a limit, spilling to a private folder), are normalised and validated there, and
only then is the main file opened read-write for one short transaction that either lands the
whole import or nothing.
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import tempfile
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Literal

import duckdb
import numpy as np
import polars as pl
import pyarrow as pa

from store import db, facts, schema, taxonomy
from store.records import CANONICAL_FIELDS, CANONICAL_SCHEMA, Reject
from store.taxonomy import REGIONS, load_region_map

MAX_THEMES_PER_ARTICLE = 1000
MAX_COUNTRIES_PER_ARTICLE = 300
MAX_THEME_ID_LENGTH = 200


def _kept(column: str, clean: str) -> str:
    """SQL: the list `column` with `clean` applied to its items, without empty ones."""
    return (f"list_filter(list_transform(coalesce({column}, []), {clean}), "
            "lambda v: v IS NOT NULL AND v <> '')")


def _unique(column: str) -> str:
    """SQL: the sorted list `column` without repeats (each item that differs from the one before
    it). A third of the time of list_distinct, which builds a hash table per list."""
    return (f"CASE WHEN len({column}) < 2 THEN {column} "
            f"ELSE list_filter({column}, lambda v, i: i = 1 OR v <> {column}[i - 1]) END")


# The staged (and final) rows: canonical fields normalised, plus where they came from, their day,
# content hash and the reason they are rejected (NULL for a good record).
_STAGED_DDL = """
    id VARCHAR, file_no INTEGER, seq BIGINT, line BIGINT, url VARCHAR, title VARCHAR,
    source VARCHAR, published TIMESTAMPTZ, day DATE, themes VARCHAR[], countries VARCHAR[],
    region_mask UINTEGER, source_country VARCHAR, language VARCHAR, tone DOUBLE, summary VARCHAR,
    content_hash UBIGINT, problem VARCHAR, source_hash UBIGINT
"""

# A record's fields as its reader gave them, hashed: what a rejected record staged out of the file's
# order is found by again in an ordered pass over the file (see Staging._lines_by_hash). The check
# query carries the fields it changes as `source_<field>` to hash them as read.
_FIELDS = [f for f in CANONICAL_FIELDS if f != "line"]
_AS_READ = ("title", "published", "tone", "summary")  # fields the check query passes unchanged
_SOURCE_HASH = f"hash({', '.join(_FIELDS)})"
_CARRIED = [f for f in _FIELDS if f not in _AS_READ]
_STAGED_SOURCE_HASH = f"hash({', '.join(f if f in _AS_READ else 'source_' + f for f in _FIELDS)})"

# One pass over a batch (`_batch`, canonical columns plus `seq`; the file number is parameter 1):
# trim and de-duplicate, derive ids and regions, name the first problem of a bad record, hash.
# An article's regions are a bit set (`schema.region_mask`): a country's region bit is looked up by
# the country's index in the `country_code` ENUM, in a list literal (REGION_BIT_OF) that the query
# holds as a constant.
MAX_PENDING_BATCHES = 2  # staged batches waiting for the worker (bounds the memory they hold)
MAX_SEQ_RANGES = 8  # row id ranges numbered where they are read (see Staging._number)

_CHECK_INSERT = f"""
INSERT INTO staged
WITH norm AS (
    SELECT
        seq, line, SUSPECT_COLUMN,
        nullif(trim(id), '') AS raw_id,
        nullif(trim(url), '') AS url,
        title,
        nullif(trim(source), '') AS source,
        published,
        list_sort({_kept("themes", "lambda t: trim(t)")}) AS sorted_themes,
        list_sort({_kept("countries", "lambda c: upper(trim(c))")}) AS sorted_countries,
        {_kept("regions", "lambda r: trim(r)")} AS regions,
        nullif(upper(trim(source_country)), '') AS source_country,
        nullif(trim(language), '') AS language,
        tone,
        summary,
        {", ".join(f"{f} AS source_{f}" for f in _CARRIED)}
    FROM SOURCE
),
coded AS (
    SELECT norm.* EXCLUDE (sorted_themes, sorted_countries),
        {_unique("sorted_themes")} AS themes,
        {_unique("sorted_countries")} AS countries,
        list_filter(sorted_countries, lambda c: try_cast(c AS country_code) IS NULL)[1]
            AS bad_country,
        list_filter(regions, lambda r: NOT list_contains({schema.REGION_LIST}, r))[1]
            AS bad_region
    FROM norm
),
regioned AS (
    SELECT coded.* EXCLUDE (regions),
        CASE WHEN bad_country IS NULL AND bad_region IS NULL THEN
            (list_reduce(countries, lambda m, c: m | REGION_BIT_OF[enum_code(c::country_code) + 1],
                         0)
             | CASE WHEN len(regions) = 0 THEN 0 ELSE list_reduce(regions,
                   lambda m, r: m | {schema.region_mask("r")}, 0) END)::UINTEGER
        END AS region_mask
    FROM coded
),
checked_rows AS (
    SELECT
        coalesce(
            raw_id,
            'url-' || substr(sha256(
                regexp_replace(
                    regexp_replace(
                        lower(regexp_extract(url, '^([a-zA-Z][a-zA-Z0-9+.-]*://[^/?#]*)'))
                        || regexp_replace(url, '^[a-zA-Z][a-zA-Z0-9+.-]*://[^/?#]*', ''),
                        '#.*$', ''),
                    '/+$', '')), 1, 20),
            'sha-' || substr(sha256(
                coalesce(title, '') || chr(31)
                || strftime(published, '%Y-%m-%dT%H:%M:%S.%f')
                || chr(31) || coalesce(source, '')), 1, 20)
        ) AS id,
        $file_no::INTEGER AS file_no, seq, line, url, title, source, published,
        make_timestamp(epoch_us(published))::DATE AS day,
        themes,
        countries,
        region_mask,
        source_country, language, tone, summary,
        CASE
            WHEN suspect THEN SUSPECT_MARK
            WHEN early_problem IS NOT NULL THEN EARLY_MARK || early_problem
            WHEN title IS NULL THEN 'missing required field "title"'
            WHEN published IS NULL THEN 'missing required field "published"'
            WHEN len(themes) > {MAX_THEMES_PER_ARTICLE}
                THEN 'too many themes (' || len(themes) || ' > {MAX_THEMES_PER_ARTICLE})'
            WHEN len(countries) > {MAX_COUNTRIES_PER_ARTICLE}
                THEN 'too many countries (' || len(countries)
                     || ' > {MAX_COUNTRIES_PER_ARTICLE})'
            WHEN list_bool_or(list_transform(themes,
                    lambda t: length(t) > {MAX_THEME_ID_LENGTH}))
                 OR regexp_matches(array_to_string(themes, ' '), '[\\x00-\\x1f\\x7f]')
                THEN 'invalid theme id (longer than {MAX_THEME_ID_LENGTH} characters '
                     || 'or holding control characters)'
            WHEN bad_country IS NOT NULL
                THEN 'country ' || bad_country || ' is not an ISO 3166-1 alpha-2 code'
            WHEN source_country IS NOT NULL
                 AND try_cast(source_country AS country_code) IS NULL
                THEN 'source_country ' || source_country
                     || ' is not an ISO 3166-1 alpha-2 code'
            WHEN bad_region IS NOT NULL
                THEN 'unknown region ' || bad_region
                     || ' (known: {", ".join(REGIONS)})'
            ELSE NULL
        END AS problem,
        {", ".join(f"source_{f}" for f in _CARRIED)}
    FROM regioned
)
SELECT id, file_no, seq, line, url, title, source, published, day, themes, countries,
    region_mask, source_country, language, tone, summary, {schema.CONTENT_HASH} AS content_hash,
    problem,
    CASE WHEN problem IS NOT NULL THEN {_STAGED_SOURCE_HASH} END AS source_hash
FROM checked_rows
"""


# The `problem` of a record that a query source (`Staging.add_query`) flags as needing a closer
# look than SQL gives it: such a source is taken back whole (see there).
SUSPECT = "\x01suspect"
# Marks, until the rows are numbered, a problem that the reader's query found (the reader would
# have rejected such a record before staging it, so it does not count among the file's records).
EARLY = "\x02"


def _region_bits_of_countries() -> str:
    """An SQL list literal: the region bit of each country of the region map, in its order."""
    index = {region: i for i, region in enumerate(REGIONS)}
    bits = [1 << index[r] for r in load_region_map()["region"].to_list()]
    return "[" + ", ".join(str(b) for b in bits) + "]"


@cache
def _check_insert_sql(source: str = "_batch", suspect: bool = False) -> str:
    """_CHECK_INSERT over `source` (an Arrow batch, or a query with a `suspect` column), with the
    bundled region map's regions as a list literal."""
    return (
        _CHECK_INSERT.replace("REGION_BIT_OF", _region_bits_of_countries())
        .replace("SUSPECT_COLUMN", "suspect, problem AS early_problem" if suspect
                 else "false AS suspect, NULL::VARCHAR AS early_problem")
        .replace("SUSPECT_MARK", schema.sql_strings([SUSPECT])[1:-1])
        .replace("EARLY_MARK", schema.sql_strings([EARLY])[1:-1])
        .replace("SOURCE", source)
    )


def _install_lookups(con: duckdb.DuckDBPyConnection) -> None:
    """Country codes as an ENUM (membership and region by index, no join per record)."""
    countries = load_region_map()["country"].to_list()
    con.execute(f"CREATE TYPE country_code AS ENUM ({schema.sql_strings(countries)[1:-1]})")


@dataclass
class FileCounts:
    """What one file of an import did to the database."""

    path: str
    format: str
    sha256: str | None
    started_at: datetime
    records: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    new_themes: int = 0

    def summary(self) -> str:
        return (
            f"{self.new:,} new, {self.updated:,} updated, {self.unchanged:,} unchanged, "
            f"{self.rejected:,} rejected"
            + (f", {self.new_themes:,} new themes" if self.new_themes else "")
        )


@dataclass
class ImportResult:
    """Counts per file and in total, and the rejects, of one committed import."""

    files: list[FileCounts]
    rejects: list[Reject] = field(default_factory=list)
    committed: bool = True

    def total(self, attribute: str) -> int:
        return sum(getattr(f, attribute) for f in self.files)

    @property
    def new(self) -> int:
        return self.total("new")

    @property
    def updated(self) -> int:
        return self.total("updated")

    @property
    def unchanged(self) -> int:
        return self.total("unchanged")

    @property
    def rejected(self) -> int:
        return self.total("rejected")

    @property
    def new_themes(self) -> int:
        return self.total("new_themes")

    def summary(self) -> str:
        return (
            f"{self.new:,} new, {self.updated:,} updated, {self.unchanged:,} unchanged, "
            f"{self.rejected:,} rejected"
            + (f", {self.new_themes:,} new themes" if self.new_themes else "")
        )


def _to_arrow(batch: pa.Table | pl.DataFrame) -> pa.Table:
    if isinstance(batch, pl.DataFrame):
        batch = batch.to_arrow()
    missing = [f.name for f in CANONICAL_SCHEMA if f.name not in batch.column_names]
    for name in missing:
        typ = CANONICAL_SCHEMA.field(name).type
        batch = batch.append_column(name, pa.nulls(batch.num_rows, typ))
    batch = batch.select(CANONICAL_FIELDS)
    try:
        return batch.cast(CANONICAL_SCHEMA.remove_metadata(), safe=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        # Nullability differences only: cast field by field, keeping declared types.
        cols = [batch.column(f.name).cast(f.type) for f in CANONICAL_SCHEMA]
        return pa.Table.from_arrays(cols, names=CANONICAL_FIELDS)


STAGE_PREFIX = "softpower-stage-"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_stale_staging(tmp_dir: str | os.PathLike[str] | None = None) -> list[Path]:
    """Remove staging folders left by killed imports (their process is gone); return them.

    A killed import cannot clean up after itself; its folder is private (mode 0700) and never read
    again, so it is only wasted space until the next import of this user removes it here.
    """
    base = Path(tmp_dir) if tmp_dir is not None else Path(tempfile.gettempdir())
    removed: list[Path] = []
    with contextlib.suppress(OSError):
        for entry in base.glob(f"{STAGE_PREFIX}*-*"):
            pid_text = entry.name[len(STAGE_PREFIX):].split("-", 1)[0]
            if not pid_text.isdigit() or int(pid_text) == os.getpid():
                continue
            with contextlib.suppress(OSError):
                if entry.is_dir() and entry.stat().st_uid == os.getuid() and not _alive(
                    int(pid_text)
                ):
                    shutil.rmtree(entry, ignore_errors=True)
                    removed.append(entry)
    return removed


class Staging:
    """Collects an import's records and rejects in a private in-memory DuckDB database.

    It holds at most `memory_limit` in memory and spills the rest to a private temporary folder,
    so an import of any size is staged in bounded memory without touching the database file.
    Each batch is normalised and checked as it is staged (ids, regions, day, content hash and
    the reason a record is rejected, in one SELECT), so the import is held once, as final rows.

    `on_duplicate` says what happens when one id occurs more than once within the import:
    'last' keeps the last record; 'union' keeps the first record's fields and the union of every
    occurrence's themes, countries and regions (GDELT DOC lists repeat an article per country pair).
    """

    def __init__(
        self,
        *,
        on_duplicate: Literal["last", "union"] = "last",
        tmp_dir: str | os.PathLike[str] | None = None,
        memory_limit: str = "1GB",
    ) -> None:
        self.on_duplicate = on_duplicate
        self._memory_limit = memory_limit
        sweep_stale_staging(tmp_dir)
        self._dir = Path(
            tempfile.mkdtemp(prefix=f"{STAGE_PREFIX}{os.getpid()}-", dir=tmp_dir)
        )
        self._con: duckdb.DuckDBPyConnection | None = duckdb.connect(":memory:")
        self._con.execute(f"SET memory_limit = '{memory_limit}'")
        self._con.execute(f"SET temp_directory = '{self._dir / 'spill'}'")
        self._con.execute("SET preserve_insertion_order = false")
        # Text timestamps without an offset are UTC (as every reader reads them), and so are the
        # timestamps in derived ids, whatever the machine's time zone.
        self._con.execute("SET TimeZone = 'UTC'")
        self._catalog = str(self._con.sql("SELECT current_database()").fetchall()[0][0])
        self._create_tables()
        self.files: list[FileCounts] = []
        self.rejects: list[tuple[int, Reject]] = []
        self.notes: list[tuple[int, str]] = []
        self._seq = 0
        # Row id ranges of the rows staged by queries, with what turns a row id into `seq`.
        self._ranges: list[tuple[int, int, int]] = []
        self._finalised = False
        self._ids_unique = False  # known: the staged rows' ids all differ (see add_query)
        # Batches are checked and inserted by one worker thread while the reader parses the next
        # (DuckDB runs without the GIL): reading and checking overlap on two cores.
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="staging")
        self._pending: deque[Future[None]] = deque()

    # -- building -------------------------------------------------------------------------------

    def _create_tables(self) -> None:
        con = self._require()
        _install_lookups(con)
        con.execute(f"CREATE TABLE staged ({_STAGED_DDL})")
        con.execute(
            "CREATE TABLE staged_rejects (file_no INTEGER, line BIGINT, reason VARCHAR)"
        )

    def _require(self) -> duckdb.DuckDBPyConnection:
        if self._con is None:
            raise RuntimeError("staging is closed")
        return self._con

    def begin_file(
        self, path: str, fmt: str, sha256: str | None = None, started_at: datetime | None = None
    ) -> int:
        """Announce a file; returns its number for `add` and `reject`."""
        self.files.append(
            FileCounts(
                path=path, format=fmt, sha256=sha256, started_at=started_at or datetime.now(UTC)
            )
        )
        return len(self.files) - 1

    def add(self, batch: pa.Table | pl.DataFrame, file_no: int = 0) -> None:
        """Stage a batch of canonical records (Arrow or Polars) from file `file_no`."""
        if self._finalised:
            raise RuntimeError("staging already finalised")
        table = _to_arrow(batch)
        n = table.num_rows
        if n == 0:
            return
        table = table.append_column(
            "seq", pa.array(np.arange(self._seq + 1, self._seq + n + 1, dtype=np.int64))
        )
        self._require()
        self._wait(MAX_PENDING_BATCHES - 1)
        self._pending.append(self._worker.submit(self._insert, table, file_no))
        self._ids_unique = False
        self._seq += n
        self.files[file_no].records += n

    def add_query(
        self, source: str, params: dict[str, object], file_no: int,
        expected: int | Callable[[], int], first_line: int = 1,
    ) -> bool:
        """Stage the records a DuckDB query returns, straight from the query, in parallel.

        `source` is a SELECT run in the staging database that returns the canonical columns,
        `suspect` (true for a record that needs a closer look than SQL gives it) and `problem`
        (why the reader rejects the record, else NULL), one row per record in the file's order,
        the first on line `first_line` and each on the next line (one record per physical line,
        as the caller has made sure); `params` are its parameters. The records are staged only
        when the query runs without an error, returns `expected` rows (or as many as `expected()`
        gives once the query has run) and flags none as suspect;
        otherwise nothing is staged and False is returned, so the caller reads the file its
        careful way. Records with a `problem` become rejects with their line.

        A row's `seq` is its row id plus an offset that `_seq_sql` applies where the rows are
        read. Numbering rows inside the query would run it on one thread, and an UPDATE of every
        row costs up to 0.8 s per million rows once DuckDB has compressed the row groups of a
        parallel insert. The query first runs without keeping the file's order (~0.3 s per million
        records faster: DuckDB then does not merge its threads' rows in order), which numbers the
        file's records in some order of their own; that is all a file needs whose ids are all
        different. Rejected records then get their lines from a narrow ordered pass over the
        source (`_lines_by_hash`). A repeated id needs its last occurrence: then the rows are
        taken back and the query runs again in the file's order, so that row ids follow it.
        """
        if self._finalised:
            raise RuntimeError("staging already finalised")
        self._wait()
        con = self._require()
        floor = int(con.sql("SELECT coalesce(max(rowid), -1) FROM staged").fetchall()[0][0])
        sql = _check_insert_sql(
            f"(SELECT NULL::BIGINT AS seq, NULL::BIGINT AS line, * FROM ({source}))", True
        )
        ordered = False
        while True:
            staged = self._run_query(sql, {**params, "file_no": file_no}, floor, ordered)
            if staged is None:
                return False
            first, last, inserted, flagged, early, problems, repeated = staged
            if callable(expected):
                expected = expected()
            contiguous = not inserted or last - first + 1 == inserted
            if inserted != expected or flagged or (ordered and not contiguous):
                self._take_back(floor)
                return False
            if ordered or (contiguous and not repeated and (
                    not problems or self._lines_by_hash(source, params, floor, first_line))):
                break
            self._take_back(floor)
            ordered = True
        if inserted:
            if problems and ordered:
                con.execute(
                    "UPDATE staged SET line = rowid - $first + $first_line "
                    "WHERE rowid > $floor AND problem IS NOT NULL",
                    {"first": first, "first_line": first_line, "floor": floor},
                )
            if early:
                con.execute(
                    "UPDATE staged SET problem = substr(problem, 2) "
                    "WHERE rowid > $floor AND starts_with(problem, $early)",
                    {"early": EARLY, "floor": floor},
                )
            self._number(int(first), int(last), self._seq - int(first) + 1)
        # The only rows staged so far, and their ids all differ: `finalise` need not look again.
        self._ids_unique = floor < 0 and not self._seq and not repeated
        self._seq += inserted
        self.files[file_no].records += inserted - early
        return True

    def _run_query(
        self, sql: str, params: dict[str, object], floor: int, ordered: bool
    ) -> tuple[int, int, int, int, int, int, int] | None:
        """Run the check-and-insert `sql`; what it staged (row ids above `floor`): first and last
        row id, rows, suspect rows, rows the reader rejected, rejected rows, repeated ids. None
        when the query failed (nothing is staged then)."""
        con = self._require()
        con.execute(f"SET preserve_insertion_order = {str(ordered).lower()}")
        try:
            con.execute(sql, params).fetchall()
        except duckdb.InterruptException:
            raise
        except db.QUERY_ERRORS:  # the failed statement inserted nothing
            return None
        finally:
            con.execute("SET preserve_insertion_order = false")
        first, last, inserted, flagged, early, problems, repeated = con.sql(
            "SELECT coalesce(min(rowid), 0), coalesce(max(rowid), -1), count(*), "
            "count(*) FILTER (problem = $mark), count(*) FILTER (starts_with(problem, $early)), "
            "count(*) FILTER (problem IS NOT NULL), "
            "count(*) FILTER (problem IS NULL) - count(DISTINCT id) FILTER (problem IS NULL) "
            "FROM staged WHERE rowid > $floor",
            params={"mark": SUSPECT, "early": EARLY, "floor": floor},
        ).fetchall()[0]
        return (int(first), int(last), int(inserted), int(flagged), int(early), int(problems),
                int(repeated))

    def _lines_by_hash(
        self, source: str, params: dict[str, object], floor: int, first_line: int
    ) -> bool:
        """Give the rejected rows staged above row id `floor` out of the file's order their
        lines: a second, narrow pass over `source` keeps the file's order and only the hash of
        each record as read (a quarter of the time of staging the file again in order), and each
        rejected row takes the line of the record with its source hash (records alike in every
        field take their lines in turn). False when a row finds none (the caller then takes the
        rows back)."""
        con = self._require()
        con.execute("SET preserve_insertion_order = true")
        try:
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE _source_hashes AS "
                f"SELECT {_SOURCE_HASH} AS h FROM ({source})",
                params,
            )
        except duckdb.InterruptException:
            raise
        except db.QUERY_ERRORS:
            return False
        finally:
            con.execute("SET preserve_insertion_order = false")
        rejected = "rowid > $floor AND problem IS NOT NULL"
        try:
            con.execute(
                f"""
                UPDATE staged SET line = m.line FROM (
                    SELECT s.rid, f.line FROM (
                        SELECT rowid AS rid, source_hash,
                            row_number() OVER (PARTITION BY source_hash ORDER BY rowid) AS k
                        FROM staged WHERE {rejected}
                    ) s JOIN (
                        SELECT h, rowid + $first_line AS line,
                            row_number() OVER (PARTITION BY h ORDER BY rowid) AS k
                        FROM _source_hashes
                        WHERE h IN (SELECT source_hash FROM staged WHERE {rejected})
                    ) f ON f.h = s.source_hash AND f.k = s.k
                ) AS m WHERE staged.rowid = m.rid
                """,
                {"floor": floor, "first_line": first_line},
            )
            # A row left without a line: the caller takes the rows back and stages them in order.
            return not con.sql(
                f"SELECT count(*) FROM staged WHERE {rejected} AND line IS NULL",
                params={"floor": floor},
            ).fetchall()[0][0]
        finally:
            con.execute("DROP TABLE IF EXISTS _source_hashes")

    def _take_back(self, floor: int) -> None:
        """Drop the rows staged above row id `floor`."""
        self._require().execute("DELETE FROM staged WHERE rowid > $floor", {"floor": floor})

    def _number(self, first: int, last: int, offset: int) -> None:
        """Record that the rows with row ids `first`..`last` have `seq` = row id + `offset`.

        Consecutive queries share an offset (rows staged in batches between them take row ids
        and sequence numbers alike) and extend one range; a query taken back leaves a gap in the
        row ids and starts a new one. Past a few ranges their rows are numbered for good, so the
        CASE that numbers them stays short whatever the number of files.
        """
        if self._ranges and self._ranges[-1][2] == offset:
            self._ranges[-1] = (self._ranges[-1][0], last, offset)
        else:
            self._ranges.append((first, last, offset))
        if len(self._ranges) > MAX_SEQ_RANGES:
            self._require().execute(f"UPDATE staged SET seq = {self._seq_sql()} WHERE seq IS NULL")
            self._ranges.clear()

    def _seq_sql(self) -> str:
        """SQL over `staged`: every row's sequence number (rows staged by a query carry theirs
        as their row id plus the offset of the query's range, see `add_query`)."""
        if not self._ranges:
            return "seq"
        cases = " ".join(
            f"WHEN rowid BETWEEN {first} AND {last} THEN rowid + {offset}"
            for first, last, offset in self._ranges
        )
        return f"coalesce(seq, CASE {cases} END)"

    def _insert(self, table: pa.Table, file_no: int) -> None:
        con = self._require()
        con.register("_batch", table)
        try:
            con.execute(_check_insert_sql(), {"file_no": file_no})
        finally:
            con.unregister("_batch")

    def _wait(self, pending: int = 0) -> None:
        """Wait until at most `pending` batches are still being staged; raise what one raised."""
        while len(self._pending) > pending:
            self._pending.popleft().result()

    def reject(self, reject: Reject, file_no: int = 0) -> None:
        """Record a record the importer could not read."""
        self.rejects.append((file_no, reject))

    def note(self, message: str, file_no: int = 0) -> None:
        """Record something the user should be told about a file that is not a reject."""
        self.notes.append((file_no, message))

    # -- validation and normalisation ------------------------------------------------------------

    def finalise(self) -> list[Reject]:
        """Set the invalid records aside, resolve repeated ids; return all rejects in order."""
        if self._finalised:
            return self.all_rejects()
        self._wait()
        con = self._require()
        rejected, duplicates = con.sql(
            "SELECT count(*) FILTER (problem IS NOT NULL), "
            + ("0" if self._ids_unique else
               "count(*) FILTER (problem IS NULL) - count(DISTINCT id) FILTER (problem IS NULL)")
            + " FROM staged"
        ).fetchall()[0]
        if rejected:
            con.execute(
                "INSERT INTO staged_rejects SELECT file_no, line, problem FROM staged "
                "WHERE problem IS NOT NULL"
            )
            con.execute("DELETE FROM staged WHERE problem IS NOT NULL")
        seq = self._seq_sql()
        if not duplicates:
            # The usual case: the staged rows are the final ones, no second copy (a view gives
            # the rows staged by a query their `seq`; it names the table in full, as it is read
            # while the database file is the connection's default).
            if self._ranges:
                con.execute(f"CREATE VIEW final AS SELECT * REPLACE ({seq} AS seq) FROM {_STAGED}")
            else:
                con.execute("ALTER TABLE staged RENAME TO final")
            self._finalised = True
            return self.all_rejects()
        numbered = f"(SELECT * REPLACE ({seq} AS seq) FROM staged)"
        if self.on_duplicate == "last":
            good = f"""
                SELECT * EXCLUDE (rn) FROM (
                    SELECT *, row_number() OVER (PARTITION BY id ORDER BY seq DESC) AS rn
                    FROM {numbered}
                ) WHERE rn = 1
            """
        else:
            good = f"""
                SELECT first_rec.* REPLACE (u.themes AS themes, u.countries AS countries,
                                            u.region_mask AS region_mask)
                FROM (
                    SELECT * EXCLUDE (rn) FROM (
                        SELECT *, row_number() OVER (PARTITION BY id ORDER BY seq) AS rn
                        FROM {numbered}
                    ) WHERE rn = 1
                ) AS first_rec
                JOIN (
                    SELECT id,
                        list_sort(list_distinct(flatten(list(themes)))) AS themes,
                        list_sort(list_distinct(flatten(list(countries)))) AS countries,
                        bit_or(region_mask) AS region_mask
                    FROM staged GROUP BY id
                ) AS u USING (id)
            """
        con.execute(
            f"""
            CREATE TABLE final AS
            SELECT * REPLACE ({schema.CONTENT_HASH} AS content_hash)
            FROM ({good}) AS g
            """
        )
        con.execute("DROP TABLE staged")
        self._finalised = True
        return self.all_rejects()

    def all_rejects(self) -> list[Reject]:
        """Rejects from the importer and from validation, in file and line order."""
        con = self._require()
        staged = con.sql(
            "SELECT file_no, line, reason FROM staged_rejects"
        ).fetchall()
        pairs = list(self.rejects) + [
            (int(f), Reject(self.files[int(f)].path, None if ln is None else int(ln), reason))
            for f, ln, reason in staged
        ]
        pairs.sort(key=lambda p: (p[0], p[1].line if p[1].line is not None else -1))
        return [r for _, r in pairs]

    def reject_counts(self) -> dict[int, int]:
        counts: dict[int, int] = {}
        for file_no, _ in self.rejects:
            counts[file_no] = counts.get(file_no, 0) + 1
        for f, n in self._require().sql(
            "SELECT file_no, count(*) FROM staged_rejects GROUP BY file_no"
        ).fetchall():
            counts[int(f)] = counts.get(int(f), 0) + int(n)
        return counts

    def staged_count(self) -> int:
        """Accepted records after validation and de-duplication (finalise first)."""
        return int(self._require().sql("SELECT count(*) FROM final").fetchall()[0][0])

    # -- the write ------------------------------------------------------------------------------

    def commit(
        self,
        db_path: str | os.PathLike[str],
        *,
        timeout: float | None = None,
        on_wait: db.WaitCallback | None = None,
    ) -> ImportResult:
        """Merge the staged import into the database in one transaction; idempotent by id.

        The database file is attached to the staging database, so the staged rows go into its
        tables straight from where they are, in parallel, without a copy in between.
        """
        rejects = self.finalise()
        reject_counts = self.reject_counts()
        con = self._require()
        finished_at = datetime.now(UTC)
        _attach(con, db_path, timeout=timeout, on_wait=on_wait)
        try:
            con.execute(f"USE {TARGET}")
            schema.migrate(con)
            taxonomy.sync_reference_data(con)
            con.execute("BEGIN TRANSACTION")
            try:
                schema.check_content_hash(con)
                counts = _merge(con, self.files, reject_counts, rejects, finished_at)
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
        finally:
            with contextlib.suppress(duckdb.Error):
                con.execute(f"USE {self._catalog}")
                con.execute(f"DETACH {TARGET}")
        self.close()
        return ImportResult(files=counts, rejects=rejects)

    def close(self) -> None:
        """Drop the staging database and its spill folder."""
        for job in self._pending:
            job.cancel()
        self._worker.shutdown(wait=True)
        self._pending.clear()
        if self._con is not None:
            with contextlib.suppress(Exception):
                self._con.close()
            self._con = None
        shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self) -> Staging:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


TARGET = "softpower_target"  # the database file's name while attached to the staging database
_FINAL = "memory.main.final"
_STAGED = "memory.main.staged"


def _attach(
    con: duckdb.DuckDBPyConnection,
    path: str | os.PathLike[str],
    *,
    timeout: float | None = None,
    on_wait: db.WaitCallback | None = None,
) -> None:
    """Attach the database file read-write as TARGET, waiting with backoff while it is locked
    (the same waits, messages and errors as `db.connect`)."""
    path = Path(path)
    timeout = db.lock_timeout() if timeout is None else timeout
    start = time.monotonic()
    delay = 0.05
    while True:
        try:
            con.execute(f"ATTACH $path AS {TARGET}", {"path": str(path)})
            return
        except (duckdb.IOException, duckdb.ConnectionException, duckdb.BinderException,
                duckdb.CatalogException) as exc:
            if not db._is_lock_error(exc):
                raise db.StoreError(f"cannot open database {path}: {exc}") from None
            waited = time.monotonic() - start
            if waited >= timeout:
                raise db.StoreLockedError(
                    f"database {path} is still locked by another process after {waited:.0f} s "
                    f"(an import or another writer); try again later or raise "
                    f"SOFTPOWER_LOCK_TIMEOUT"
                ) from None
            if on_wait is not None:
                on_wait(f"waiting for another process to release {path.name}", waited)
            time.sleep(min(delay * (0.5 + random.random()), max(0.0, timeout - waited)))
            delay = min(delay * 2, 1.0)


def _merge(
    con: duckdb.DuckDBPyConnection,
    files: list[FileCounts],
    reject_counts: dict[int, int],
    rejects: list[Reject],
    finished_at: datetime,
) -> list[FileCounts]:
    """The body of the import transaction (the caller begins and commits).

    `con` is the staging connection with the database file attached and in use; the staged rows
    are `memory.main.final`. Only the narrow classification of the ids the database already holds
    is materialised: new articles take `aid` = the highest aid so far + their staging sequence
    number, so a first import into an empty file needs no join and no sort.
    """
    first_import = int(
        con.sql("SELECT coalesce(max(import_id), 0) + 1 FROM imports").fetchall()[0][0]
    )
    base_aid, stored = (int(v) for v in con.sql(
        "SELECT coalesce(max(aid), 0), count(*) FROM articles").fetchall()[0])
    if stored:
        # The staged ids the file already holds: their aid, and whether the content changed.
        con.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE _old AS
            SELECT f.seq, a.aid, a.content_hash = f.content_hash AS same
            FROM {_FINAL} f JOIN articles a ON a.id = f.id
            """
        )
        rows = f"""
            SELECT coalesce(o.aid, {base_aid} + f.seq) AS aid,
                {first_import} + f.file_no AS import_id, f.*
            FROM {_FINAL} f LEFT JOIN _old o ON o.seq = f.seq
            WHERE o.same IS NOT TRUE
        """
        for table in ("article_themes", "article_countries", "article_regions", "articles"):
            con.execute(
                f"DELETE FROM {table} WHERE aid IN (SELECT aid FROM _old WHERE NOT same)"
            )
        per_status = f"""
            SELECT f.file_no, CASE WHEN o.seq IS NULL THEN 'new'
                                   WHEN o.same THEN 'unchanged' ELSE 'updated' END, count(*)
            FROM {_FINAL} f LEFT JOIN _old o ON o.seq = f.seq GROUP BY ALL
        """
        changed = "SELECT aid FROM _old WHERE NOT same"
    else:
        rows = f"""
            SELECT {base_aid} + f.seq AS aid, {first_import} + f.file_no AS import_id, f.*
            FROM {_FINAL} f
        """
        per_status = f"SELECT file_no, 'new', count(*) FROM {_FINAL} GROUP BY ALL"
        changed = None
    # The rows to write (new and updated), read from the staged rows by every insert below.
    con.execute(f"CREATE OR REPLACE TEMP VIEW _ins AS {rows}")
    # New themes: attribute each to the first file (in order) that uses it.
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE _new_themes AS
        SELECT theme, min(file_no) AS file_no
        FROM (SELECT file_no, unnest(themes) AS theme FROM _ins)
        WHERE theme NOT IN (SELECT id FROM themes)
        GROUP BY theme
        """
    )
    con.execute(
        "INSERT INTO themes SELECT theme, theme, NULL, NULL, 'import' FROM _new_themes"
    )
    con.execute(
        """
        INSERT INTO articles (aid, id, url, title, source, published, day, source_country,
            language, tone, summary, content_hash, import_id)
        SELECT aid, id, url, title, source, make_timestamp(epoch_us(published)), day,
               source_country, language, tone, summary, content_hash, import_id
        FROM _ins
        """
    )
    con.execute("INSERT INTO article_themes SELECT aid, unnest(themes) FROM _ins")
    con.execute("INSERT INTO article_countries SELECT aid, unnest(countries) FROM _ins")
    con.execute(
        "INSERT INTO article_regions SELECT i.aid, r.region FROM _ins i JOIN ("
        f"SELECT unnest(range({len(REGIONS)})) AS bit, unnest({schema.REGION_LIST}) AS region"
        ") r ON (i.region_mask >> r.bit) & 1 = 1"
    )
    per_file = {(int(f), s): int(n) for f, s, n in con.sql(per_status).fetchall()}
    new_themes = {
        int(f): int(n)
        for f, n in con.sql("SELECT file_no, count(*) FROM _new_themes GROUP BY ALL").fetchall()
    }
    out: list[FileCounts] = []
    for i, fc in enumerate(files):
        done = FileCounts(
            path=fc.path,
            format=fc.format,
            sha256=fc.sha256,
            started_at=fc.started_at,
            records=fc.records,
            new=per_file.get((i, "new"), 0),
            updated=per_file.get((i, "updated"), 0),
            unchanged=per_file.get((i, "unchanged"), 0),
            rejected=reject_counts.get(i, 0),
            new_themes=new_themes.get(i, 0),
        )
        out.append(done)
        con.execute(
            "INSERT INTO imports VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                first_import + i, done.path, done.sha256, done.format, done.started_at,
                finished_at, done.records, done.new, done.updated, done.unchanged,
                done.rejected, done.new_themes,
            ],
        )
    path_to_import = {f.path: first_import + i for i, f in enumerate(files)}
    if rejects:
        frame = pa.table(
            {
                "import_id": pa.array(
                    [path_to_import.get(r.file, first_import) for r in rejects], pa.int64()
                ),
                "file": pa.array([r.file for r in rejects], pa.string()),
                "line": pa.array([r.line for r in rejects], pa.int64()),
                "reason": pa.array([r.reason for r in rejects], pa.string()),
            }
        )
        con.register("_rejects", frame)
        con.execute("INSERT INTO rejects SELECT * FROM _rejects")
        con.unregister("_rejects")
    facts.after_import(
        con, "SELECT aid FROM _ins", [first_import + i for i in range(len(files))],
        rows_sql="SELECT aid, day, source, themes, region_mask FROM _ins",
        replaced_aids_sql=changed,
    )
    con.execute("DROP VIEW IF EXISTS _ins")
    for name in ("_old", "_new_themes"):
        con.execute(f"DROP TABLE IF EXISTS {name}")
    return out
