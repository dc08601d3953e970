"""What a database holds: counts, date range, themes, regions, the import log and the rejects.

Each function takes an open (read-only) connection, so the `info` command and the dashboard share
the queries; counts are distinct articles (DESIGN §5).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import duckdb


def summary(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Article count, first and last UTC day, numbers of themes, sources, imports, rejects."""
    articles, first, last, sources = con.sql(
        "SELECT count(*), min(day), max(day), count(DISTINCT source) FROM articles"
    ).fetchall()[0]
    themes = con.sql("SELECT count(*) FROM themes").fetchall()[0][0]
    imports = con.sql("SELECT count(*) FROM imports").fetchall()[0][0]
    rejects = con.sql("SELECT count(*) FROM rejects").fetchall()[0][0]
    untagged = con.sql(
        "SELECT count(*) FROM articles a WHERE NOT EXISTS "
        "(SELECT 1 FROM article_themes t WHERE t.aid = a.aid)"
    ).fetchall()[0][0]
    return {
        "articles": int(articles),
        "first_day": first if isinstance(first, date) else None,
        "last_day": last if isinstance(last, date) else None,
        "sources": int(sources),
        "themes": int(themes),
        "untagged": int(untagged),
        "imports": int(imports),
        "rejects": int(rejects),
    }


def theme_counts(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Every theme with label, parent, origin, distinct articles carrying it (`articles`) and
    distinct articles carrying it or any theme below it (`with_children`, DESIGN §5 roll-up)."""
    rows = con.sql(
        """
        WITH RECURSIVE up(theme, ancestor) AS (
            SELECT id, id FROM themes
            UNION
            SELECT up.theme, t.parent FROM up JOIN themes t ON t.id = up.ancestor
            WHERE t.parent IS NOT NULL
        ),
        own AS (
            SELECT theme, count(DISTINCT aid) AS n FROM article_themes GROUP BY theme
        ),
        rolled AS (
            SELECT up.ancestor AS theme, count(DISTINCT l.aid) AS n
            FROM up JOIN article_themes l ON l.theme = up.theme
            GROUP BY up.ancestor
        )
        SELECT t.id, t.label, t.parent, t.origin, coalesce(own.n, 0), coalesce(rolled.n, 0)
        FROM themes t
        LEFT JOIN own ON own.theme = t.id
        LEFT JOIN rolled ON rolled.theme = t.id
        ORDER BY coalesce(t.parent, t.id), t.parent IS NOT NULL, t.id
        """
    ).fetchall()
    return [
        {"id": r[0], "label": r[1], "parent": r[2], "origin": r[3], "articles": int(r[4]),
         "with_children": int(r[5])}
        for r in rows
    ]


def region_counts(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Regions with their distinct articles, largest first."""
    rows = con.sql(
        "SELECT region, count(DISTINCT aid) AS n FROM article_regions "
        "GROUP BY region ORDER BY n DESC, region"
    ).fetchall()
    return [{"region": r[0], "articles": int(r[1])} for r in rows]


def import_log(con: duckdb.DuckDBPyConnection, limit: int | None = None) -> list[dict[str, Any]]:
    """The import log, newest first: file, format, counts and times."""
    sql = (
        "SELECT import_id, path, format, sha256, started_at, finished_at, records, new, "
        "updated, unchanged, rejected, new_themes FROM imports ORDER BY import_id DESC"
    )
    params: list[Any] = []
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    keys = ("import_id", "path", "format", "sha256", "started_at", "finished_at", "records",
            "new", "updated", "unchanged", "rejected", "new_themes")
    return [dict(zip(keys, r, strict=True)) for r in con.sql(sql, params=params).fetchall()]


def rejects(con: duckdb.DuckDBPyConnection, limit: int | None = None) -> list[dict[str, Any]]:
    """Rejected records of past imports, newest import first, then file and line."""
    sql = (
        "SELECT r.import_id, r.file, r.line, r.reason FROM rejects r "
        "ORDER BY r.import_id DESC, r.file, r.line NULLS FIRST"
    )
    params: list[Any] = []
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    keys = ("import_id", "file", "line", "reason")
    return [dict(zip(keys, r, strict=True)) for r in con.sql(sql, params=params).fetchall()]
