"""Narrow, denormalised copies of the article tables that answer a view without joins.

A view's counts need, per article, its day, its source, its themes and its regions; the normalised
tables spread these over three tables, and joining them costs ~200 ms per million articles. The
fact tables carry them side by side, with an article's regions as a bit set (`region_bits` gives
each region its bit), so a view is a single filtered scan:

    article_facts(aid, day, source, regions)          one row per article, stored in day order
    theme_facts(theme, day, aid, source, regions)     one row per (article, theme), by theme and day

and daily pre-aggregates of them, a few times smaller, which answer the common view (themes,
regions, dates; no source filter) by summing counts instead of counting rows:

    day_counts(day, regions, articles)                articles per day and set of regions
    theme_day_counts(theme, day, regions, articles)   the same per theme

Sums of these are exact distinct-article counts because each article has one day and one set of
regions, and an article counts once per theme. A series made of several themes (a parent and its
children) is counted from `theme_facts` with count(DISTINCT aid) instead.

They are derived data: `update()` keeps them in step inside the import transaction, `rebuild()`
recreates them (after a migration, or when appends have left `theme_facts` out of order), and
`facts_state` records the last import they reflect, so a reader uses them only when `current()`.
Views filtered by country or by text search still go to the normalised tables (`supports()`).
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping, Sequence
from datetime import date

import duckdb
import polars as pl

from store.taxonomy import REGIONS

MAX_REGIONS = 32  # the bit set is a UINTEGER

DDL = """
CREATE TABLE IF NOT EXISTS region_bits (region VARCHAR NOT NULL, bit INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS article_facts (
    aid BIGINT NOT NULL, day DATE NOT NULL, source VARCHAR, regions UINTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS facts_state (import_id BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS theme_facts (
    theme VARCHAR NOT NULL, day DATE NOT NULL, aid BIGINT NOT NULL, source VARCHAR,
    regions UINTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS day_counts (
    day DATE NOT NULL, regions UINTEGER NOT NULL, articles INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS theme_day_counts (
    theme VARCHAR NOT NULL, day DATE NOT NULL, regions UINTEGER NOT NULL, articles INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS rollup_day_counts (
    theme VARCHAR NOT NULL, day DATE NOT NULL, regions UINTEGER NOT NULL, articles INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS rollup_state (signature VARCHAR NOT NULL);
"""

_DAY_COUNTS = """
INSERT INTO day_counts
SELECT day, regions, count(*)::INTEGER FROM article_facts {where} GROUP BY ALL ORDER BY day
"""
_THEME_DAY_COUNTS = """
INSERT INTO theme_day_counts
SELECT theme, day, regions, count(*)::INTEGER FROM theme_facts {where}
GROUP BY ALL ORDER BY theme, day
"""

_ARTICLE_ROWS = """
SELECT a.aid, a.day, a.source, coalesce(m.regions, 0)::UINTEGER AS regions
FROM articles a
LEFT JOIN (
    SELECT r.aid, bit_or((1::UINTEGER) << b.bit) AS regions
    FROM article_regions r JOIN region_bits b ON b.region = r.region
    {where_regions}
    GROUP BY r.aid
) m ON m.aid = a.aid
{where_articles}
"""

_THEME_ROWS = """
SELECT t.theme, f.day, f.aid, f.source, f.regions
FROM article_themes t JOIN article_facts f ON f.aid = t.aid
{where}
"""


# A parent theme's series counts the distinct articles of itself and its descendants; counted
# from theme_facts that is a count(DISTINCT aid) over every child's rows (~150 ms per million
# articles). rollup_day_counts holds those counts per parent, day and region set, so a parent's
# series is a sum like any other. They depend on the taxonomy: `rollup_state` keeps the
# signature of the hierarchy they were built with, and they are used only while it matches.
_HIERARCHY_SIGNATURE = """
SELECT md5(coalesce(string_agg(id || '>' || parent, ',' ORDER BY id, parent), ''))
FROM themes WHERE parent IS NOT NULL
"""

_ROLLUP_DAY_COUNTS = """
INSERT INTO rollup_day_counts
WITH RECURSIVE anc(theme, ancestor) AS (
    SELECT id, parent FROM themes WHERE parent IS NOT NULL
    UNION
    SELECT anc.theme, t.parent FROM anc JOIN themes t ON t.id = anc.ancestor
    WHERE t.parent IS NOT NULL
),
pairs AS (SELECT theme, ancestor FROM anc UNION SELECT ancestor, ancestor FROM anc)
SELECT p.ancestor AS theme, f.day, f.regions, count(DISTINCT f.aid)::INTEGER AS articles
FROM theme_facts f JOIN pairs p ON p.theme = f.theme {where}
GROUP BY ALL ORDER BY 1, 2
"""


def _rollups(con: duckdb.DuckDBPyConnection, where: str) -> None:
    """Bring rollup_day_counts up to date for the days `where` selects (all of them when the
    taxonomy changed since they were built). Runs after theme_facts was brought up to date."""
    signature = con.sql(_HIERARCHY_SIGNATURE).fetchall()[0][0]
    stored = con.sql("SELECT any_value(signature) FROM rollup_state").fetchall()[0][0]
    if stored != signature:
        where = ""
    con.execute(f"DELETE FROM rollup_day_counts {where}")
    con.execute(_ROLLUP_DAY_COUNTS.format(where=where.replace("WHERE day", "WHERE f.day", 1)))
    con.execute("DELETE FROM rollup_state")
    con.execute("INSERT INTO rollup_state VALUES (?)", [signature])


def rollup_themes(con: duckdb.DuckDBPyConnection) -> dict[str, set[str]]:
    """Parent → itself and its descendants, when rollup_day_counts match the file's taxonomy;
    {} when they do not (an older file, or a taxonomy changed since)."""
    exists = con.sql(
        "SELECT count(*) FROM information_schema.tables WHERE table_catalog = current_database()"
        " AND table_name = 'rollup_state'"
    ).fetchall()[0][0]
    if not exists:
        return {}
    signature = con.sql(_HIERARCHY_SIGNATURE).fetchall()[0][0]
    stored = con.sql("SELECT any_value(signature) FROM rollup_state").fetchall()[0][0]
    if stored != signature:
        return {}
    children: dict[str, list[str]] = {}
    for theme, parent in con.sql(
        "SELECT id, parent FROM themes WHERE parent IS NOT NULL"
    ).fetchall():
        children.setdefault(parent, []).append(theme)
    out: dict[str, set[str]] = {}
    for parent in children:
        seen: set[str] = set()
        stack = [parent]
        while stack:
            current = stack.pop()
            if current not in seen:
                seen.add(current)
                stack.extend(children.get(current, ()))
        out[parent] = seen
    return out


def create(con: duckdb.DuckDBPyConnection) -> None:
    """Create the fact tables and give every known region a bit (existing bits never move)."""
    con.execute(DDL)
    known = {r for (r,) in con.sql("SELECT region FROM region_bits").fetchall()}
    next_bit = int(con.sql("SELECT coalesce(max(bit) + 1, 0) FROM region_bits").fetchall()[0][0])
    extra = con.sql(
        "SELECT DISTINCT region FROM article_regions ORDER BY region"
    ).fetchall()
    for region in [*REGIONS, *(r for (r,) in extra)]:
        if region in known:
            continue
        if next_bit >= MAX_REGIONS:
            raise RuntimeError(f"more than {MAX_REGIONS} regions: the region bit set is full")
        con.execute("INSERT INTO region_bits VALUES (?, ?)", [region, next_bit])
        known.add(region)
        next_bit += 1


def rebuild(con: duckdb.DuckDBPyConnection) -> None:
    """Recreate both fact tables from the normalised tables, in scan order (in a transaction)."""
    create(con)
    for table in ("rollup_day_counts", "theme_day_counts", "day_counts", "theme_facts",
                  "article_facts"):
        con.execute(f"DELETE FROM {table}")
    con.execute(
        "INSERT INTO article_facts "
        + _ARTICLE_ROWS.format(where_regions="", where_articles="")
        + " ORDER BY a.day, a.aid"
    )
    con.execute(
        "INSERT INTO theme_facts " + _THEME_ROWS.format(where="") + " ORDER BY t.theme, f.day"
    )
    con.execute(_DAY_COUNTS.format(where=""))
    con.execute(_THEME_DAY_COUNTS.format(where=""))
    _rollups(con, "")
    _mark_current(con)


def _mark_current(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("DELETE FROM facts_state")
    con.execute("INSERT INTO facts_state SELECT coalesce(max(import_id), 0) FROM imports")


def update(con: duckdb.DuckDBPyConnection, changed_aids_sql: str) -> None:
    """Replace the facts of the articles whose `aid` the query `changed_aids_sql` returns.

    Called inside the import transaction after the normalised tables were written, with a query
    over the import's own temporary table (no user values are interpolated).
    """
    create(con)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _fact_aids AS SELECT DISTINCT aid FROM ({changed_aids_sql})"
    )
    # Days whose pre-aggregates change: where the changed articles were, and where they are now.
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _fact_days AS "
        "SELECT day FROM article_facts WHERE aid IN (SELECT aid FROM _fact_aids) "
        "UNION SELECT day FROM articles WHERE aid IN (SELECT aid FROM _fact_aids)"
    )
    try:
        con.execute("DELETE FROM theme_facts WHERE aid IN (SELECT aid FROM _fact_aids)")
        con.execute("DELETE FROM article_facts WHERE aid IN (SELECT aid FROM _fact_aids)")
        con.execute(
            "INSERT INTO article_facts "
            + _ARTICLE_ROWS.format(
                where_regions="WHERE r.aid IN (SELECT aid FROM _fact_aids)",
                where_articles="WHERE a.aid IN (SELECT aid FROM _fact_aids)",
            )
            + " ORDER BY a.day, a.aid"
        )
        con.execute(
            "INSERT INTO theme_facts "
            + _THEME_ROWS.format(where="WHERE t.aid IN (SELECT aid FROM _fact_aids)")
            + " ORDER BY t.theme, f.day"
        )
        days = "WHERE day IN (SELECT day FROM _fact_days)"
        con.execute(f"DELETE FROM day_counts {days}")
        con.execute(f"DELETE FROM theme_day_counts {days}")
        con.execute(_DAY_COUNTS.format(where=days))
        con.execute(_THEME_DAY_COUNTS.format(where=days))
        _rollups(con, days)
    finally:
        con.execute("DROP TABLE IF EXISTS _fact_aids")
        con.execute("DROP TABLE IF EXISTS _fact_days")


def mark_current(con: duckdb.DuckDBPyConnection) -> None:
    """Record that the facts reflect every import so far (after `update()` and the import log)."""
    create(con)
    _mark_current(con)


def after_import(
    con: duckdb.DuckDBPyConnection,
    changed_aids_sql: str,
    import_ids: Sequence[int],
    *,
    rows_sql: str | None = None,
    replaced_aids_sql: str | None = None,
) -> None:
    """Bring the facts up to date at the end of an import transaction (after the import log).

    Incremental when the facts reflected every earlier import; otherwise (a file from before the
    fact tables, or written by a program that did not maintain them) rebuilt whole.

    With `rows_sql` (the import's written articles as `aid, day, source, themes, region_mask`, and
    `replaced_aids_sql` the aids whose earlier version they replace, None when there are none),
    the facts are made from those rows instead of being read back from the article tables; and
    when the file holds no import but these, that is a complete build, not a rebuild.
    """
    existed = _has_state(con)
    create(con)
    earlier = [int(i) for i in import_ids]
    in_step = existed and bool(con.sql(
        "SELECT (SELECT max(import_id) FROM facts_state) IS NOT DISTINCT FROM "
        "(SELECT coalesce(max(import_id), 0) FROM imports "
        " WHERE NOT list_contains($ids, import_id))",
        params={"ids": earlier},
    ).fetchall()[0][0])
    if rows_sql is not None and not in_step and _only_imports(con, earlier):
        for table in ("rollup_day_counts", "theme_day_counts", "day_counts", "theme_facts",
                      "article_facts"):
            con.execute(f"DELETE FROM {table}")
        add_rows(con, rows_sql, None)
        _mark_current(con)
    elif in_step and rows_sql is not None:
        add_rows(con, rows_sql, replaced_aids_sql)
        _mark_current(con)
    elif in_step:
        update(con, changed_aids_sql)
        _mark_current(con)
    else:
        rebuild(con)


def _only_imports(con: duckdb.DuckDBPyConnection, import_ids: list[int]) -> bool:
    """Whether the file holds no import but these (so every article is one of theirs)."""
    return not con.sql(
        "SELECT count(*) FROM imports WHERE NOT list_contains($ids, import_id)",
        params={"ids": import_ids},
    ).fetchall()[0][0]


def _region_bits_sql(con: duckdb.DuckDBPyConnection) -> str:
    """SQL: the file's region bit set of an article from its `region_mask` (bit i for
    schema.REGIONS[i]): the mask itself when the file numbers the regions alike, as every file
    this program created does; else each bit moved to the file's."""
    bits = dict(con.sql("SELECT region, bit FROM region_bits").fetchall())
    moves = [(i, int(bits[region])) for i, region in enumerate(REGIONS)]
    if all(i == bit for i, bit in moves):
        return "region_mask"
    return "(" + " | ".join(
        f"(((region_mask >> {i}) & 1) << {bit})" for i, bit in moves
    ) + ")::UINTEGER"


def add_rows(
    con: duckdb.DuckDBPyConnection, rows_sql: str, replaced_aids_sql: str | None
) -> None:
    """Write the facts of the articles `rows_sql` returns (`aid, day, source, themes,
    region_mask`: the rows an import wrote), replacing those of `replaced_aids_sql` (None:
    nothing replaced).

    Called inside the import transaction, after `create()` has given every region a bit; the
    queries are the import's own (no user values are interpolated).
    """
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _fact_rows AS "
        f"SELECT aid, day, source, {_region_bits_sql(con)} AS regions, themes FROM ({rows_sql})"
    )
    try:
        days = "SELECT day FROM _fact_rows"
        if replaced_aids_sql is not None:
            con.execute(
                "CREATE OR REPLACE TEMP TABLE _fact_replaced AS "
                f"SELECT DISTINCT aid FROM ({replaced_aids_sql})"
            )
            con.execute(
                "CREATE OR REPLACE TEMP TABLE _fact_days AS "
                "SELECT day FROM article_facts WHERE aid IN (SELECT aid FROM _fact_replaced) "
                "UNION SELECT day FROM _fact_rows"
            )
            days = "SELECT day FROM _fact_days"
            con.execute("DELETE FROM theme_facts WHERE aid IN (SELECT aid FROM _fact_replaced)")
            con.execute(
                "DELETE FROM article_facts WHERE aid IN (SELECT aid FROM _fact_replaced)"
            )
        con.execute(
            "INSERT INTO article_facts SELECT aid, day, source, regions FROM _fact_rows "
            "ORDER BY day, aid"
        )
        con.execute(
            "INSERT INTO theme_facts SELECT theme, day, aid, source, regions FROM "
            "(SELECT unnest(themes) AS theme, day, aid, source, regions FROM _fact_rows) "
            "ORDER BY theme, day"
        )
        where = f"WHERE day IN ({days})"
        con.execute(f"DELETE FROM day_counts {where}")
        con.execute(f"DELETE FROM theme_day_counts {where}")
        con.execute(_DAY_COUNTS.format(where=where))
        con.execute(_THEME_DAY_COUNTS.format(where=where))
        _rollups(con, where)
    finally:
        for name in ("_fact_rows", "_fact_replaced", "_fact_days"):
            con.execute(f"DROP TABLE IF EXISTS {name}")


TABLES = ("region_bits", "article_facts", "theme_facts", "day_counts", "theme_day_counts",
          "facts_state")


def _has_state(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether every fact table exists (a file from an earlier version may lack some)."""
    found = con.sql(
        "SELECT count(DISTINCT table_name) FROM information_schema.tables "
        "WHERE table_catalog = current_database() AND list_contains($names, table_name)",
        params={"names": list(TABLES)},
    ).fetchall()[0][0]
    return int(found) == len(TABLES)


def current(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the fact tables exist and reflect the latest import (else use the base tables)."""
    if not _has_state(con):
        return False
    rows = con.sql(
        "SELECT (SELECT max(import_id) FROM facts_state) "
        "IS NOT DISTINCT FROM (SELECT coalesce(max(import_id), 0) FROM imports)"
    ).fetchall()
    return bool(rows[0][0])


def supports(*, countries: Sequence[str] = (), search: str | None = None) -> bool:
    """Whether a view with these filters can be counted from the fact tables alone."""
    return not countries and not search


def region_bit_map(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Region → its bit in the `regions` bit set."""
    return {r: int(b) for r, b in con.sql("SELECT region, bit FROM region_bits").fetchall()}


def _filters(
    con: duckdb.DuckDBPyConnection,
    regions: Sequence[str],
    sources: Sequence[str],
    since: date | None,
    until: date | None,
) -> tuple[list[str], dict[str, object]]:
    where, params = [], {}
    if regions:
        bits = region_bit_map(con)
        mask = 0
        for region in regions:
            if region in bits:
                mask |= 1 << bits[region]
        where.append("(regions & $mask::UINTEGER) <> 0")
        params["mask"] = mask
    if sources:
        where.append("list_contains($sources, source)")
        params["sources"] = list(sources)
    if since is not None:
        where.append("day >= $since")
        params["since"] = since
    if until is not None:
        where.append("day <= $until")
        params["until"] = until
    return where, params


def _region_join(con: duckdb.DuckDBPyConnection, regions: Sequence[str],
                 params: dict[str, object]) -> str:
    bits = region_bit_map(con)
    present_regions = [r for r in regions if r in bits]
    params["by_region"] = present_regions
    params["by_bit"] = [bits[r] for r in present_regions]
    return (
        " JOIN (SELECT unnest($by_region) AS region, unnest($by_bit) AS bit) rb"
        " ON (f.regions & ((1::UINTEGER) << rb.bit)) <> 0"
    )


def _partition(
    con: duckdb.DuckDBPyConnection, series: Mapping[str, Sequence[str]], sources: Sequence[str]
) -> tuple[dict[str, list[str]], dict[str, str], dict[str, list[str]]]:
    """The series counted from the parents' rollups, from one theme's daily counts, and from
    `theme_facts` (several themes without a kept rollup, or any series under a source filter:
    the pre-aggregates have no source)."""
    single = {name: ids[0] for name, ids in series.items() if len(set(ids)) == 1}
    several = {name: list(dict.fromkeys(ids)) for name, ids in series.items()
               if len(set(ids)) > 1}
    if sources:
        several.update({name: [theme] for name, theme in single.items()})
        single = {}
    rolled: dict[str, list[str]] = {}
    if several and not sources:  # parents whose rollups are kept: sums, not distinct counts
        parents = rollup_themes(con)
        rolled = {name: [name] for name, ids in several.items()
                  if parents.get(name) == set(ids)}
        several = {name: ids for name, ids in several.items() if name not in rolled}
    return rolled, single, several


def series_counts(
    con: duckdb.DuckDBPyConnection,
    series: Mapping[str, Sequence[str]],
    *,
    every: str,
    regions: Sequence[str] = (),
    by_region: bool = False,
    sources: Sequence[str] = (),
    since: date | None = None,
    until: date | None = None,
) -> pl.DataFrame:
    """Distinct articles per (period, series[, region]) — only the non-zero cells.

    `series` maps each series name to the theme ids it counts (a theme and its descendants);
    an article carrying several of them counts once. With `by_region`, `regions` are the regions
    to split by (an article counts once in each of its regions among them); without it they
    filter (an article counts if it is in any of them). Columns: period (Date), theme, [region],
    articles.
    """
    return _summed_series(con, series, every, regions, by_region, sources, since, until,
                          tone=False)


def _summed_series(
    con: duckdb.DuckDBPyConnection,
    series: Mapping[str, Sequence[str]],
    every: str,
    regions: Sequence[str],
    by_region: bool,
    sources: Sequence[str],
    since: date | None,
    until: date | None,
    *,
    tone: bool,
) -> pl.DataFrame:
    """`series_counts`, and with `tone` `series_tone` on counts that carry tone sums: kept
    rollups and single themes summed from the pre-aggregates, the rest counted from
    `theme_facts`."""
    rolled, single, several = _partition(con, series, sources)
    extra = f", {TONE_OF_SUMS} AS tone" if tone else ""
    summed = {"rollup_day_counts": rolled,
              "theme_day_counts": {name: [theme] for name, theme in single.items()}}
    parts = [_series_query(con, table, "sum(f.articles)", chosen, every, regions, by_region, (),
                           since, until, extra=extra)
             for table, chosen in summed.items() if chosen]
    if several and tone:
        parts.append(_series_tone_facts(con, several, every, regions, by_region, sources, since,
                                        until))
    elif several:
        parts.append(_series_query(con, "theme_facts", "count(DISTINCT f.aid)", several, every,
                                   regions, by_region, sources, since, until))
    if not parts:  # no series: an empty frame of the right columns
        parts = [_series_query(con, "theme_day_counts", "sum(f.articles)", {}, every, regions,
                               by_region, (), since, until, extra=extra)]
    types = {"articles": pl.Int64, **({"tone": pl.Float64} if tone else {})}
    frames = [part.cast(types) for part in parts]
    return pl.concat(frames) if len(frames) > 1 else frames[0]


def _series_params(
    con: duckdb.DuckDBPyConnection,
    series: Mapping[str, Sequence[str]],
    every: str,
    regions: Sequence[str],
    sources: Sequence[str],
    since: date | None,
    until: date | None,
) -> tuple[list[str], dict[str, object]]:
    """The filters of a series query, and its parameters: the filters', each series' name
    beside each of its theme ids, and the period."""
    where, params = _filters(con, regions, sources, since, until)
    names = [name for name, ids in series.items() for _ in ids]
    ids = [theme for _, theme_ids in series.items() for theme in theme_ids]
    params.update({"names": names, "ids": ids, "every": every})
    return where, params


def _series_query(
    con: duckdb.DuckDBPyConnection,
    table: str,
    counted: str,
    series: Mapping[str, Sequence[str]],
    every: str,
    regions: Sequence[str],
    by_region: bool,
    sources: Sequence[str],
    since: date | None,
    until: date | None,
    extra: str = "",
) -> pl.DataFrame:
    where, params = _series_params(con, series, every, regions, sources, since, until)
    join = _region_join(con, regions, params) if by_region else ""
    region_col = ", rb.region AS region" if by_region else ""
    where_sql = " AND ".join(["f.theme IN (SELECT unnest($ids))", *where])
    query = f"""
        SELECT date_trunc($every, f.day)::DATE AS period, s.name AS theme{region_col},
            {counted} AS articles{extra}
        FROM {table} f
        JOIN (SELECT unnest($names) AS name, unnest($ids) AS theme) s ON s.theme = f.theme
        {join}
        WHERE {where_sql}
        GROUP BY ALL
    """
    return con.sql(query, params=params).pl()


def series_tone(
    con: duckdb.DuckDBPyConnection,
    series: Mapping[str, Sequence[str]],
    *,
    every: str,
    regions: Sequence[str] = (),
    by_region: bool = False,
    sources: Sequence[str] = (),
    since: date | None = None,
    until: date | None = None,
) -> pl.DataFrame:
    """`series_counts` with the mean tone of the counted articles: columns period, theme,
    [region], articles, tone (the exact decimal mean, as the plain query computes it; null when
    none of them has a tone). `theme_facts` finds the articles, `articles` gives their tone;
    where the counts per theme carry their articles' tone sums (the monthly copy of
    store/workingset.py), a series of one theme is a sum of those instead (and so is a kept
    rollup, where the rollups carry them too)."""
    if not sources and has_tone_sums(con):
        return _summed_series(con, series, every, regions, by_region, sources, since, until,
                              tone=True)
    return _series_tone_facts(con, series, every, regions, by_region, sources, since, until)


def tone_mean(column: str) -> str:
    """SQL: the mean of the tones in `column`, as an exact decimal sum over their count (a float
    sum depends on the order parallel threads add it in); NULL when none has a tone. The same
    value whether the articles are summed one by one or as pre-aggregated days (TONE_OF_SUMS)."""
    return f"(sum({column}::DECIMAL(38, 12)) / count({column}))::DOUBLE"


TONE_OF_SUMS = "(sum(f.tone_sum) / sum(f.tone_n)::BIGINT)::DOUBLE"


# Connections whose counts per theme carry tone sums (`tone_sum`, `tone_n`): the file's never
# do; the working set marks the cursors of its monthly copy (store/workingset.py).
_TONE_SUMS: weakref.WeakSet[duckdb.DuckDBPyConnection] = weakref.WeakSet()


def mark_tone_sums(con: duckdb.DuckDBPyConnection) -> None:
    """Sum tone on `con` from its counts per theme, which carry tone sums."""
    _TONE_SUMS.add(con)


def has_tone_sums(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the counts per theme on `con` carry tone sums (see mark_tone_sums)."""
    return con in _TONE_SUMS


def _series_tone_facts(
    con: duckdb.DuckDBPyConnection,
    series: Mapping[str, Sequence[str]],
    every: str,
    regions: Sequence[str],
    by_region: bool,
    sources: Sequence[str],
    since: date | None,
    until: date | None,
) -> pl.DataFrame:
    where, params = _series_params(con, series, every, regions, sources, since, until)
    join = _region_join(con, regions, params) if by_region else ""
    region_col = ", rb.region AS region" if by_region else ""
    where_sql = " AND ".join(["f.theme IN (SELECT unnest($ids))", *where])
    query = f"""
        WITH hits AS (
            SELECT DISTINCT date_trunc($every, f.day)::DATE AS period, s.name AS theme
                {region_col}, f.aid
            FROM theme_facts f
            JOIN (SELECT unnest($names) AS name, unnest($ids) AS theme) s ON s.theme = f.theme
            {join}
            WHERE {where_sql}
        )
        SELECT h.* EXCLUDE (aid), count(*)::BIGINT AS articles, {tone_mean('a.tone')} AS tone
        FROM hits h JOIN articles a ON a.aid = h.aid
        GROUP BY ALL
    """
    return con.sql(query, params=params).pl()


def period_totals(
    con: duckdb.DuckDBPyConnection,
    *,
    every: str,
    regions: Sequence[str] = (),
    by_region: bool = False,
    sources: Sequence[str] = (),
    since: date | None = None,
    until: date | None = None,
) -> pl.DataFrame:
    """All articles per (period[, region]) under the same region/source/date filters: the
    denominator of share of coverage. Columns: period (Date), [region], total."""
    where, params = _filters(con, regions, sources, since, until)
    params["every"] = every
    join = _region_join(con, regions, params) if by_region else ""
    region_col = ", rb.region AS region" if by_region else ""
    where_sql = " AND ".join(where) if where else "true"
    table, counted = ("article_facts", "count(*)") if sources else ("day_counts",
                                                                      "sum(f.articles)")
    query = f"""
        SELECT date_trunc($every, f.day)::DATE AS period{region_col}, {counted} AS total
        FROM {table} f {join}
        WHERE {where_sql}
        GROUP BY ALL
    """
    return con.sql(query, params=params).pl().cast({"total": pl.Int64})
