"""Stage canonical records off the main database, validate them, then merge them in one transaction.

An import never holds the database while it parses: batches go into a private staging database
(in memory up to a limit, spilling to a private folder), are normalised and validated there, and
only then is the main file opened read-write for one short transaction that either lands the
whole import or nothing.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import duckdb
import polars as pl
import pyarrow as pa

from store import db, facts
from store.records import CANONICAL_FIELDS, CANONICAL_SCHEMA, Reject
from store.taxonomy import REGIONS, load_region_map

MAX_THEMES_PER_ARTICLE = 1000
MAX_COUNTRIES_PER_ARTICLE = 300
MAX_THEME_ID_LENGTH = 200

_STAGED_COLUMNS = ", ".join(CANONICAL_FIELDS)
STREAM_ROWS = 100_000
MERGE_STAGING_MEMORY = "128MB"

# What decides "unchanged" on re-import: every stored field, NULL told apart from empty.
_CONTENT_HASH = """md5(concat_ws(chr(31),
    id, coalesce(url, chr(1)), title, coalesce(source, chr(1)),
    strftime(published AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S.%f'),
    array_to_string(themes, chr(30)), array_to_string(countries, chr(30)),
    array_to_string(regions, chr(30)), coalesce(source_country, chr(1)),
    coalesce(language, chr(1)), coalesce(tone::VARCHAR, chr(1)), coalesce(summary, chr(1))))"""


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
        self._create_tables()
        self.files: list[FileCounts] = []
        self.rejects: list[tuple[int, Reject]] = []
        self.notes: list[tuple[int, str]] = []
        self._seq = 0
        self._finalised = False

    # -- building -------------------------------------------------------------------------------

    def _create_tables(self) -> None:
        con = self._require()
        empty = CANONICAL_SCHEMA.empty_table()
        con.register("_empty", empty)
        con.execute(
            f"CREATE TABLE staged AS SELECT {_STAGED_COLUMNS}, 0::INTEGER AS file_no, "
            f"0::BIGINT AS seq FROM _empty LIMIT 0"
        )
        con.unregister("_empty")
        con.execute(
            "CREATE TABLE staged_rejects (file_no INTEGER, line BIGINT, reason VARCHAR)"
        )
        con.register("_regions", load_region_map().to_arrow())
        con.execute("CREATE TABLE region_map AS SELECT * FROM _regions")
        con.unregister("_regions")
        con.execute("CREATE TABLE known_regions (region VARCHAR)")
        con.executemany("INSERT INTO known_regions VALUES (?)", [[r] for r in REGIONS])

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
        con = self._require()
        con.register("_batch", table)
        try:
            con.execute(
                f"INSERT INTO staged SELECT {_STAGED_COLUMNS}, ?::INTEGER, "
                f"? + row_number() OVER () FROM _batch",
                [file_no, self._seq],
            )
        finally:
            con.unregister("_batch")
        self._seq += n
        self.files[file_no].records += n

    def reject(self, reject: Reject, file_no: int = 0) -> None:
        """Record a record the importer could not read."""
        self.rejects.append((file_no, reject))

    def note(self, message: str, file_no: int = 0) -> None:
        """Record something the user should be told about a file that is not a reject."""
        self.notes.append((file_no, message))

    # -- validation and normalisation ------------------------------------------------------------

    def _install_lookups(self, con: duckdb.DuckDBPyConnection) -> None:
        """Country codes as an ENUM (membership and region by index, no join per record)."""
        regions = load_region_map()
        countries = regions["country"].to_list()
        con.execute(
            "CREATE TYPE country_code AS ENUM ("
            + ", ".join("'" + c.replace("'", "''") + "'" for c in countries) + ")"
        )
        con.execute("SET VARIABLE region_of = ?::VARCHAR[]", [regions["region"].to_list()])
        con.execute("SET VARIABLE known_regions = ?::VARCHAR[]", [list(REGIONS)])

    def finalise(self) -> list[Reject]:
        """Normalise, derive ids and regions, validate; return all rejects in file, line order."""
        if self._finalised:
            return self.all_rejects()
        con = self._require()
        self._install_lookups(con)
        con.execute(
            f"""
            CREATE TABLE checked AS
            WITH norm AS (
                SELECT
                    file_no, seq, line,
                    nullif(trim(id), '') AS raw_id,
                    nullif(trim(url), '') AS url,
                    title,
                    nullif(trim(source), '') AS source,
                    published,
                    list_distinct(list_filter(list_transform(coalesce(themes, []),
                                  lambda t: trim(t)),
                                  lambda t: t IS NOT NULL AND t <> '')) AS themes,
                    list_distinct(list_filter(list_transform(coalesce(countries, []),
                                  lambda c: upper(trim(c))),
                                  lambda c: c IS NOT NULL AND c <> '')) AS countries,
                    list_distinct(list_filter(list_transform(coalesce(regions, []),
                                  lambda r: trim(r)),
                                  lambda r: r IS NOT NULL AND r <> '')) AS regions,
                    nullif(upper(trim(source_country)), '') AS source_country,
                    nullif(trim(language), '') AS language,
                    tone,
                    summary
                FROM staged
            ),
            coded AS (
                SELECT norm.*,
                    list_filter(countries, lambda c: try_cast(c AS country_code) IS NULL)[1]
                        AS bad_country,
                    list_filter(regions, lambda r: NOT list_contains(
                        getvariable('known_regions'), r))[1] AS bad_region
                FROM norm
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
                file_no, seq, line, url, title, source, published,
                list_sort(themes) AS themes,
                list_sort(countries) AS countries,
                CASE WHEN bad_country IS NULL AND bad_region IS NULL THEN
                    list_sort(list_distinct(list_concat(regions, list_transform(countries,
                        lambda c: getvariable('region_of')[enum_code(c::country_code) + 1]))))
                END AS regions,
                source_country, language, tone, summary,
                CASE
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
                END AS problem
            FROM coded
            )
            SELECT *, (published AT TIME ZONE 'UTC')::DATE AS day, {_CONTENT_HASH} AS content_hash
            FROM checked_rows
            """
        )
        con.execute(
            "INSERT INTO staged_rejects SELECT file_no, line, problem FROM checked "
            "WHERE problem IS NOT NULL"
        )
        duplicates = con.sql(
            "SELECT count(*) - count(DISTINCT id) FROM checked WHERE problem IS NULL"
        ).fetchall()[0][0]
        if not duplicates:
            # The usual case: no second table, the checked one minus its rejects is final.
            con.execute("DELETE FROM checked WHERE problem IS NOT NULL")
            con.execute("ALTER TABLE checked RENAME TO final")
            con.execute("DROP TABLE staged")  # in memory: hold one copy of the import, not two
            self._finalised = True
            return self.all_rejects()
        if self.on_duplicate == "last":
            good = """
                SELECT * EXCLUDE (rn, problem) FROM (
                    SELECT *, row_number() OVER (PARTITION BY id ORDER BY seq DESC) AS rn
                    FROM checked WHERE problem IS NULL
                ) WHERE rn = 1
            """
        else:
            good = """
                SELECT first_rec.* REPLACE (u.themes AS themes, u.countries AS countries,
                                            u.regions AS regions)
                FROM (
                    SELECT * EXCLUDE (rn) FROM (
                        SELECT *, row_number() OVER (PARTITION BY id ORDER BY seq) AS rn
                        FROM checked WHERE problem IS NULL
                    ) WHERE rn = 1
                ) AS first_rec
                JOIN (
                    SELECT id,
                        list_sort(list_distinct(flatten(list(themes)))) AS themes,
                        list_sort(list_distinct(flatten(list(countries)))) AS countries,
                        list_sort(list_distinct(flatten(list(regions)))) AS regions
                    FROM checked WHERE problem IS NULL GROUP BY id
                ) AS u USING (id)
            """
        con.execute(
            f"""
            CREATE TABLE final AS
            SELECT * REPLACE ({_CONTENT_HASH} AS content_hash) FROM ({good}) AS g
            """
        )
        con.execute("DROP TABLE checked")
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
        """Merge the staged import into the database in one transaction; idempotent by id."""
        rejects = self.finalise()
        reject_counts = self.reject_counts()
        con = self._require()
        # While the merge runs, the staged records wait on disk rather than beside its memory.
        con.execute(f"SET memory_limit = '{MERGE_STAGING_MEMORY}'")
        finished_at = datetime.now(UTC)
        with db.writing(db_path, timeout=timeout, on_wait=on_wait) as main:
            # The merge's temporary tables hold the whole import: spill them rather than grow.
            main.execute(f"SET memory_limit = '{self._memory_limit}'")
            main.execute(f"SET temp_directory = '{self._dir / 'spill-merge'}'")
            # The staged records stream from the staging database into the merge as Arrow.
            main.register("_staged_final", con.sql("SELECT * FROM final").to_arrow_reader(
                STREAM_ROWS))
            try:
                main.execute("BEGIN TRANSACTION")
                try:
                    counts = _merge(main, self.files, reject_counts, rejects, finished_at)
                    main.execute("COMMIT")
                except BaseException:
                    main.execute("ROLLBACK")
                    raise
            finally:
                main.unregister("_staged_final")
        self.close()
        return ImportResult(files=counts, rejects=rejects)

    def close(self) -> None:
        """Drop the staging database and its spill folder."""
        if self._con is not None:
            with contextlib.suppress(Exception):
                self._con.close()
            self._con = None
        shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self) -> Staging:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _merge(
    main: duckdb.DuckDBPyConnection,
    files: list[FileCounts],
    reject_counts: dict[int, int],
    rejects: list[Reject],
    finished_at: datetime,
) -> list[FileCounts]:
    """The body of the import transaction (the caller begins and commits)."""
    first_import = int(
        main.sql("SELECT coalesce(max(import_id), 0) + 1 FROM imports").fetchall()[0][0]
    )
    base_aid = int(main.sql("SELECT coalesce(max(aid), 0) FROM articles").fetchall()[0][0])
    main.execute(
        """
        CREATE OR REPLACE TEMP TABLE _cls AS
        SELECT f.*, a.aid AS old_aid,
            CASE WHEN a.aid IS NULL THEN 'new'
                 WHEN a.content_hash = f.content_hash THEN 'unchanged'
                 ELSE 'updated' END AS status
        FROM _staged_final f LEFT JOIN articles a ON a.id = f.id
        """
    )
    # New articles get aids in publication order; only the narrow (id, published) pairs are sorted.
    main.execute(
        """
        CREATE OR REPLACE TEMP TABLE _new_aids AS
        SELECT id, $base + row_number() OVER (ORDER BY published, id) AS aid
        FROM _cls WHERE status = 'new'
        """,
        {"base": base_aid},
    )
    main.execute(
        """
        CREATE OR REPLACE TEMP TABLE _ins AS
        SELECT
            coalesce(c.old_aid, n.aid) AS aid,
            $first + c.file_no AS import_id,
            c.* EXCLUDE (old_aid)
        FROM _cls c LEFT JOIN _new_aids n ON n.id = c.id
        WHERE c.status <> 'unchanged'
        """,
        {"first": first_import},
    )
    main.execute(
        """
        DELETE FROM article_themes WHERE aid IN (SELECT aid FROM _ins WHERE status = 'updated');
        DELETE FROM article_countries WHERE aid IN (SELECT aid FROM _ins WHERE status = 'updated');
        DELETE FROM article_regions WHERE aid IN (SELECT aid FROM _ins WHERE status = 'updated');
        DELETE FROM articles WHERE aid IN (SELECT aid FROM _ins WHERE status = 'updated');
        """
    )
    # New themes: attribute each to the first file (in order) that uses it.
    main.execute(
        """
        CREATE OR REPLACE TEMP TABLE _new_themes AS
        SELECT theme, min(file_no) AS file_no
        FROM (SELECT file_no, unnest(themes) AS theme FROM _ins)
        WHERE theme NOT IN (SELECT id FROM themes)
        GROUP BY theme
        """
    )
    main.execute(
        "INSERT INTO themes SELECT theme, theme, NULL, NULL, 'import' FROM _new_themes"
    )
    main.execute(
        """
        INSERT INTO articles
        SELECT aid, id, url, title, source, (published AT TIME ZONE 'UTC')::TIMESTAMP, day,
               source_country, language, tone, summary, content_hash, import_id
        FROM _ins ORDER BY published, aid
        """
    )
    main.execute(
        "INSERT INTO article_themes SELECT aid, unnest(themes) FROM _ins ORDER BY aid"
    )
    main.execute(
        "INSERT INTO article_countries SELECT aid, unnest(countries) FROM _ins ORDER BY aid"
    )
    main.execute(
        "INSERT INTO article_regions SELECT aid, unnest(regions) FROM _ins ORDER BY aid"
    )
    per_file = {
        (int(f), s): int(n)
        for f, s, n in main.sql(
            "SELECT file_no, status, count(*) FROM _cls GROUP BY ALL"
        ).fetchall()
    }
    new_themes = {
        int(f): int(n)
        for f, n in main.sql("SELECT file_no, count(*) FROM _new_themes GROUP BY ALL").fetchall()
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
        main.execute(
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
        main.register("_rejects", frame)
        main.execute("INSERT INTO rejects SELECT * FROM _rejects")
        main.unregister("_rejects")
    facts.after_import(main, "SELECT aid FROM _ins", [first_import + i for i in range(len(files))])
    for name in ("_cls", "_new_aids", "_ins", "_new_themes"):
        main.execute(f"DROP TABLE IF EXISTS {name}")
    return out
