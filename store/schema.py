"""The DuckDB schema, its version and the migrations that bring any older file up to date."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import duckdb

from store.taxonomy import REGIONS

SCHEMA_VERSION = 2

# What decides "unchanged" on re-import: a 64-bit hash of every stored field, the same expression
# over the staged rows (`published` TIMESTAMPTZ) and over the stored ones (`published` TIMESTAMP in
# UTC, the lists gathered from the link tables, sorted). NULL and empty text hash apart; each list
# is hashed on its own first, so an item cannot move from one list to the next unnoticed. An
# article's regions are hashed as their bit set (`region_mask`, see REGION_LIST). DuckDB does not
# promise that `hash` stays the same across its releases: `check_content_hash` notices when it
# changed and recomputes the stored hashes.
CONTENT_HASH = """hash(id, url, title, source, epoch_us(published), hash(themes), hash(countries),
    region_mask, source_country, language, tone, summary)"""


def sql_strings(values: Iterable[str]) -> str:
    """An SQL list literal of these strings (our own reference data, never user input)."""
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


# An article's regions (explicit and derived from its countries) as a bit set, bit i for
# REGIONS[i]: what the staged rows carry instead of a list of names (a tenth of the work to
# derive and de-duplicate), and the fact tables' `regions` when the file numbers its regions alike.
REGION_LIST = sql_strings(REGIONS)


def region_mask(region: str) -> str:
    """SQL: the bit of the region named by the expression `region` (NULL for an unknown one)."""
    return f"((1::UINTEGER) << (list_position({REGION_LIST}, {region}) - 1))"


_V1 = """
CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS themes (
    id VARCHAR NOT NULL,              -- slug, e.g. 'united-front'
    label VARCHAR NOT NULL,
    parent VARCHAR,                   -- NULL for a top-level theme
    description VARCHAR,
    origin VARCHAR NOT NULL           -- 'taxonomy' (themes.toml) or 'import' (first seen in a file)
);
CREATE TABLE IF NOT EXISTS region_map (
    country VARCHAR NOT NULL,         -- ISO 3166-1 alpha-2
    name VARCHAR NOT NULL,
    region VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS articles (
    aid BIGINT NOT NULL,              -- internal surrogate key, used by every link table
    id VARCHAR NOT NULL,              -- the stable public id
    url VARCHAR,
    title VARCHAR NOT NULL,
    source VARCHAR,
    published TIMESTAMP NOT NULL,     -- UTC
    day DATE NOT NULL,                -- the UTC day of `published`
    source_country VARCHAR,
    language VARCHAR,
    tone DOUBLE,
    summary VARCHAR,
    content_hash VARCHAR NOT NULL,
    import_id BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS article_themes (aid BIGINT NOT NULL, theme VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS article_countries (aid BIGINT NOT NULL, country VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS article_regions (aid BIGINT NOT NULL, region VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS imports (
    import_id BIGINT NOT NULL,
    path VARCHAR NOT NULL,
    sha256 VARCHAR,
    format VARCHAR NOT NULL,
    started_at TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ NOT NULL,
    records BIGINT NOT NULL,
    new BIGINT NOT NULL,
    updated BIGINT NOT NULL,
    unchanged BIGINT NOT NULL,
    rejected BIGINT NOT NULL,
    new_themes BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS rejects (
    import_id BIGINT NOT NULL,
    file VARCHAR NOT NULL,
    line BIGINT,
    reason VARCHAR NOT NULL
);
"""

# Every stored article's content hash, from its stored fields (the lists from the link tables).
_STORED_HASHES = f"""
SELECT aid, {CONTENT_HASH} AS content_hash FROM (
    SELECT a.aid, a.id, a.url, a.title, a.source, a.published,
        coalesce(t.themes, []) AS themes, coalesce(c.countries, []) AS countries,
        coalesce(r.region_mask, 0)::UINTEGER AS region_mask, a.source_country, a.language,
        a.tone, a.summary
    FROM articles a
    LEFT JOIN (SELECT aid, list(theme ORDER BY theme) AS themes FROM article_themes
        GROUP BY aid) AS t ON t.aid = a.aid
    LEFT JOIN (SELECT aid, list(country ORDER BY country) AS countries FROM article_countries
        GROUP BY aid) AS c ON c.aid = a.aid
    LEFT JOIN (SELECT aid, bit_or({region_mask("region")}) AS region_mask FROM article_regions
        GROUP BY aid) AS r ON r.aid = a.aid
)
"""

# A fixed record with every kind of field, whose hash tells whether `hash` still computes what it
# computed when the stored hashes were made (and, hashed with it, the regions' bit order).
_PROBE = f"""
SELECT hash({CONTENT_HASH}, {REGION_LIST}) FROM (SELECT 'probe-1' AS id, NULL::VARCHAR AS url,
    'Probe: title' AS title, '' AS source, TIMESTAMP '2020-02-29 12:34:56.789' AS published,
    ['china-model', 'united-front'] AS themes, []::VARCHAR[] AS countries,
    {region_mask("'Pacific'")} AS region_mask, 'CN' AS source_country,
    NULL::VARCHAR AS language, -2.5::DOUBLE AS tone, 'Summary' AS summary)
"""


def _rehash(con: duckdb.DuckDBPyConnection, probe: int) -> None:
    """Recompute every stored content hash and store the probe's hash they were made with."""
    con.execute(
        f"UPDATE articles SET content_hash = h.content_hash FROM ({_STORED_HASHES}) AS h "
        "WHERE articles.aid = h.aid"
    )
    con.execute("DELETE FROM content_hash_probe")
    con.execute("INSERT INTO content_hash_probe VALUES ($probe)", {"probe": probe})


def _v2(con: duckdb.DuckDBPyConnection) -> None:
    """Content hashes: 64-bit `hash` values (UBIGINT) instead of MD5 text, recomputed from the
    stored fields; the probe that tells when `hash` changes is stored beside them."""
    con.execute("ALTER TABLE articles ALTER COLUMN content_hash TYPE UBIGINT USING 0")
    con.execute("CREATE TABLE content_hash_probe (probe UBIGINT NOT NULL)")
    _rehash(con, con.sql(_PROBE).fetchall()[0][0])


# Each migration takes the file from version N-1 to N. Append, never edit a released one.
MIGRATIONS: dict[int, Callable[[duckdb.DuckDBPyConnection], None]] = {
    1: lambda con: con.execute(_V1),
    2: _v2,
}


def check_content_hash(con: duckdb.DuckDBPyConnection) -> bool:
    """Recompute the stored content hashes when `hash` no longer gives what it gave (a DuckDB
    release changed it): otherwise a re-import would count every unchanged article as updated.
    Call inside the write transaction; True when the hashes were recomputed."""
    now = con.sql(_PROBE).fetchall()[0][0]
    stored = con.sql("SELECT max(probe) FROM content_hash_probe").fetchall()[0][0]
    if stored == now:
        return False
    _rehash(con, now)
    return True


def current_version(con: duckdb.DuckDBPyConnection) -> int:
    """The schema version recorded in the file, 0 for an empty file."""
    exists = con.sql(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'"
    ).fetchall()[0][0]
    if not exists:
        return 0
    row = con.sql("SELECT max(version) FROM schema_version").fetchall()[0][0]
    return int(row or 0)


def migrate(con: duckdb.DuckDBPyConnection) -> int:
    """Apply every pending migration in one transaction; return the resulting version."""
    version = current_version(con)
    if version > SCHEMA_VERSION:
        raise RuntimeError(
            f"the database has schema version {version}, newer than this program "
            f"understands ({SCHEMA_VERSION}); upgrade softpower-tui"
        )
    if version == SCHEMA_VERSION:
        return version
    con.execute("BEGIN TRANSACTION")
    try:
        for target in range(version + 1, SCHEMA_VERSION + 1):
            MIGRATIONS[target](con)
            con.execute("INSERT INTO schema_version (version) VALUES (?)", [target])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return SCHEMA_VERSION
