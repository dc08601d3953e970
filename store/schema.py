"""The DuckDB schema, its version and the migrations that bring any older file up to date."""

from __future__ import annotations

from collections.abc import Callable

import duckdb

SCHEMA_VERSION = 1

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

# Each migration takes the file from version N-1 to N. Append, never edit a released one.
MIGRATIONS: dict[int, Callable[[duckdb.DuckDBPyConnection], None]] = {
    1: lambda con: con.execute(_V1),
}


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
