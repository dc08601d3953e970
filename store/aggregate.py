"""ViewSpec → finished table: the numbers analysts publish (semantics: docs/semantics.md).

Filters are pushed down into DuckDB (the corpus never comes into memory); Polars shapes the
results (zero-fill, shares, smoothing). Two ways to count the same numbers:

- *fast*: the fact tables of `store.facts` (pre-aggregated per day, region sets as bit masks),
  used when they are current and the view has no country filter and no text search (tone: the
  articles of `theme_facts` joined to their tone);
- *plain*: SQL over the normalised tables (`articles`, `article_themes`, `article_regions`,
  `article_countries`), which answers every view.

Every public function takes `fast=True`; `fast=False` forces the plain path, and the tests hold
both to a naive reference. All values reach SQL as parameters.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import duckdb
import polars as pl
import pyarrow as pa

from store import facts
from store.taxonomy import REGIONS
from store.viewspec import ViewSpec

COOCCURRENCE_THEMES = 12  # the largest themes shown in co-occurrence when none are selected
_MASK_BITS = 64  # series a co-occurrence mask holds
SPIKE_WINDOW = 8  # trailing periods forming a spike's baseline
SPIKE_MIN_HISTORY = 4  # periods of history needed before a point can be a spike
SPIKE_MIN_ARTICLES = 5
SPIKE_Z = 3.0

ARTICLE_COLUMNS = ("id", "published", "source", "title", "url", "themes", "regions")
FACETS = ("themes", "regions", "countries", "sources")

_INTERVAL = {"day": "1d", "week": "1w", "month": "1mo", "quarter": "3mo", "year": "1y"}


# -- columns -------------------------------------------------------------------------------------


def columns(spec: ViewSpec) -> tuple[str, ...]:
    """The exact columns, in order, of the table `spec.table` for this view."""
    region = ("region",) if spec.by_region else ()
    if spec.table == "trends":
        cols = ("period", "theme", *region, "articles", "total", "share")
        if spec.metric == "tone":
            cols += ("tone",)
        if spec.smooth > 1:
            cols += ("smoothed",)
        return cols
    if spec.table == "regions":
        return ("theme", "region", "articles", "total", "share")
    if spec.table == "articles":
        return ARTICLE_COLUMNS
    if spec.table == "cooccurrence":
        return ("theme_a", "theme_b", "articles", "jaccard")
    if spec.table == "spikes":
        return ("period", "theme", *region, "articles", "baseline", "z")
    raise ValueError(f"unknown table {spec.table!r}")


def table(con: duckdb.DuckDBPyConnection, spec: ViewSpec, *, fast: bool = True) -> pl.DataFrame:
    """The table `spec.table` of the view, with exactly `columns(spec)`."""
    if spec.table == "trends":
        return trends(con, spec, fast=fast)
    if spec.table == "regions":
        return regions(con, spec, fast=fast)
    if spec.table == "articles":
        return articles(con, spec)
    if spec.table == "cooccurrence":
        return cooccurrence(con, spec)
    if spec.table == "spikes":
        return spikes(con, spec, fast=fast)
    raise ValueError(f"unknown table {spec.table!r}")


# -- periods -------------------------------------------------------------------------------------


def period_start(day: date, every: str) -> date:
    """The first day of the period holding `day` (ISO weeks start on Monday)."""
    if every == "day":
        return day
    if every == "week":
        return day - timedelta(days=day.weekday())
    if every == "month":
        return day.replace(day=1)
    if every == "quarter":
        return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    if every == "year":
        return date(day.year, 1, 1)
    raise ValueError(f"unknown period {every!r}")


def period_bounds(period: date, every: str) -> tuple[date, date]:
    """First and last day of the period that starts on (or holds) `period`."""
    first = period_start(period, every)
    if every == "day":
        return first, first
    if every == "week":
        return first, first + timedelta(days=6)
    months = {"month": 1, "quarter": 3, "year": 12}[every]
    month = first.month - 1 + months
    following = date(first.year + month // 12, month % 12 + 1, 1)
    return first, following - timedelta(days=1)


def _periods(lo: date, hi: date, every: str) -> pl.Series:
    return pl.date_range(
        period_start(lo, every), period_start(hi, every), _INTERVAL[every], eager=True
    ).alias("period")


# -- filters as SQL ------------------------------------------------------------------------------


@dataclass
class _Sql:
    """WHERE clauses over `articles a` and their parameters."""

    scope: list[str]  # dates, sources, regions, countries: what `total` is scoped by
    matched: list[str]  # + search and themes: what the series count
    params: dict[str, Any]


def _filters(spec: ViewSpec, theme_ids: Sequence[str] | None) -> _Sql:
    scope: list[str] = []
    params: dict[str, Any] = {}
    if spec.since is not None:
        scope.append("a.day >= $since")
        params["since"] = spec.since
    if spec.until is not None:
        scope.append("a.day <= $until")
        params["until"] = spec.until
    if spec.sources:
        scope.append("list_contains($sources, a.source)")
        params["sources"] = list(spec.sources)
    if spec.regions:
        scope.append(
            "a.aid IN (SELECT aid FROM article_regions WHERE list_contains($regions, region))"
        )
        params["regions"] = list(spec.regions)
    if spec.countries:
        scope.append(
            "a.aid IN (SELECT aid FROM article_countries WHERE list_contains($countries, country))"
        )
        params["countries"] = list(spec.countries)
    matched = list(scope)
    if spec.search:
        matched.append(
            "(contains(lower(a.title), lower($search))"
            " OR contains(lower(coalesce(a.summary, '')), lower($search)))"
        )
        params["search"] = spec.search
    if theme_ids is not None:
        matched.append(
            "a.aid IN (SELECT aid FROM article_themes WHERE list_contains($theme_ids, theme))"
        )
        params["theme_ids"] = list(theme_ids)
    return _Sql(scope, matched, params)


def _where(clauses: Sequence[str]) -> str:
    return "WHERE " + " AND ".join(clauses) if clauses else ""


# -- series --------------------------------------------------------------------------------------


def _hierarchy(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """Theme id → its children, for every theme in the file's taxonomy."""
    children: dict[str, list[str]] = {}
    for theme, parent in con.sql("SELECT id, parent FROM themes ORDER BY id").fetchall():
        children.setdefault(theme, [])
        if parent is not None:
            children.setdefault(parent, []).append(theme)
    return children


def _with_descendants(theme: str, children: dict[str, list[str]]) -> list[str]:
    out, stack = [], [theme]
    while stack:
        current = stack.pop()
        if current in out:
            continue
        out.append(current)
        stack.extend(sorted(children.get(current, ()), reverse=True))
    return out


def _series(con: duckdb.DuckDBPyConnection, spec: ViewSpec) -> dict[str, list[str]] | None:
    """Series name → theme ids it counts (itself and its descendants), for the theme filter;
    None when there is no theme filter (every theme is a candidate series)."""
    if not spec.themes:
        return None
    children = _hierarchy(con)
    return {theme: _with_descendants(theme, children) for theme in spec.themes}


def _all_series(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """Every theme that appears on an article or in the taxonomy, with its descendants."""
    children = _hierarchy(con)
    tagged = [t for (t,) in con.sql("SELECT DISTINCT theme FROM article_themes").fetchall()]
    for theme in tagged:
        children.setdefault(theme, [])
    return {theme: _with_descendants(theme, children) for theme in sorted(children)}


def _series_table(series: dict[str, list[str]]) -> tuple[list[str], list[str]]:
    names = [name for name, ids in series.items() for _ in ids]
    ids = [theme for ids in series.values() for theme in ids]
    return names, ids


_FACTS_CURRENT: weakref.WeakKeyDictionary[duckdb.DuckDBPyConnection, bool] = (
    weakref.WeakKeyDictionary()
)


def _facts_current(con: duckdb.DuckDBPyConnection) -> bool:
    """`facts.current`, remembered per read-only connection (its file cannot change under it)."""
    known = _FACTS_CURRENT.get(con)
    if known is not None:
        return known
    value = facts.current(con)
    mode = con.sql("SELECT current_setting('access_mode')").fetchall()[0][0]
    if mode == "read_only":
        _FACTS_CURRENT[con] = value
    return value


def trust_facts(con: duckdb.DuckDBPyConnection) -> None:
    """Count on `con` from the fact tables without checking them: for a copy of a file's
    pre-aggregates taken while they were current (store/workingset.py), which has no per-article
    table to check against (a view needing one fails there rather than answering wrongly)."""
    _FACTS_CURRENT[con] = True


def _use_facts(con: duckdb.DuckDBPyConnection, spec: ViewSpec, fast: bool) -> bool:
    return (
        fast
        and facts.supports(countries=spec.countries, search=spec.search)
        and _facts_current(con)
    )


def _split_regions(con: duckdb.DuckDBPyConnection, spec: ViewSpec) -> list[str]:
    """The regions a by-region view splits into: the filter's, else every region in the file."""
    if spec.regions:
        return list(spec.regions)
    present = {r for (r,) in con.sql("SELECT DISTINCT region FROM article_regions").fetchall()}
    return [r for r in REGIONS if r in present] + sorted(present - set(REGIONS))


def _counts_plain(
    con: duckdb.DuckDBPyConnection,
    spec: ViewSpec,
    series: dict[str, list[str]],
    every: str,
    split: list[str] | None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(series counts, totals) over the normalised tables; only non-zero cells."""
    sql = _filters(spec, None)
    names, ids = _series_table(series)
    params = {**sql.params, "every": every, "names": names, "ids": ids}
    region_join = region_col = ""
    if split is not None:
        params["split"] = split
        region_join = (
            " JOIN article_regions r ON r.aid = a.aid AND list_contains($split, r.region)"
        )
        region_col = ", r.region AS region"
    # An exact (decimal) sum: a float sum depends on the order parallel threads add it in, and
    # the same view must give the same bytes on every run.
    tone = f", {facts.tone_mean('tone')} AS tone" if spec.metric == "tone" else ""
    counts = con.sql(
        f"""
        WITH s AS (SELECT unnest($names) AS name, unnest($ids) AS theme),
        hits AS (
            SELECT DISTINCT date_trunc($every, a.day)::DATE AS period, s.name AS theme
                {region_col}, a.aid, a.tone
            FROM articles a
            JOIN article_themes t ON t.aid = a.aid
            JOIN s ON s.theme = t.theme
            {region_join}
            {_where(sql.matched)}
        )
        SELECT period, theme{", region" if split is not None else ""},
            count(*)::BIGINT AS articles{tone}
        FROM hits GROUP BY ALL
        """,
        params=params,
    ).pl()
    total_params = {k: v for k, v in params.items() if k not in ("names", "ids", "search")}
    totals = con.sql(
        f"""
        SELECT date_trunc($every, a.day)::DATE AS period{region_col},
            count(DISTINCT a.aid)::BIGINT AS total
        FROM articles a {region_join}
        {_where(sql.scope)}
        GROUP BY ALL
        """,
        params=total_params,
    ).pl()
    return counts, totals


def _counts_fast(
    con: duckdb.DuckDBPyConnection,
    spec: ViewSpec,
    series: dict[str, list[str]],
    every: str,
    split: list[str] | None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    kwargs: dict[str, Any] = dict(
        every=every,
        regions=split if split is not None else list(spec.regions),
        by_region=split is not None,
        sources=list(spec.sources),
        since=spec.since,
        until=spec.until,
    )
    if spec.metric == "tone":
        counts = facts.series_tone(con, series, **kwargs)
    else:
        counts = facts.series_counts(con, series, **kwargs)
    totals = facts.period_totals(con, **kwargs)
    if split is not None:  # an empty result has an untyped region column
        counts = counts.cast({"region": pl.String})
        totals = totals.cast({"region": pl.String})
    return counts.filter(pl.col("articles") > 0), totals


def _counts(
    con: duckdb.DuckDBPyConnection, spec: ViewSpec, every: str, fast: bool
) -> tuple[list[str], list[str] | None, pl.DataFrame, pl.DataFrame]:
    """Series order, split regions (None without by_region), counts and totals."""
    series = _series(con, spec)
    explicit = series is not None
    if series is None:
        series = _all_series(con)
    split = _split_regions(con, spec) if spec.by_region else None
    count_fn = _counts_fast if _use_facts(con, spec, fast) else _counts_plain
    counts, totals = count_fn(con, spec, series, every, split)
    if explicit:
        order = list(series)
    else:
        sizes = counts.group_by("theme").agg(pl.col("articles").sum())
        sizes = sizes.filter(pl.col("articles") > 0).sort(
            ["articles", "theme"], descending=[True, False]
        )
        order = sizes["theme"].to_list()
    if split is not None and not spec.regions:
        with_data = set(counts["region"].unique().to_list()) if counts.height else set()
        split = [r for r in split if r in with_data]
    return order, split, counts, totals


def _grid(order: list[str], split: list[str] | None, periods: pl.Series | None) -> pl.DataFrame:
    frame = pl.DataFrame(
        {"theme": order, "_s": list(range(len(order)))},
        schema={"theme": pl.String, "_s": pl.Int64},
    )
    if split is not None:
        regions = pl.DataFrame(
            {"region": split, "_r": list(range(len(split)))},
            schema={"region": pl.String, "_r": pl.Int64},
        )
        frame = frame.join(regions, how="cross")
    if periods is not None:
        frame = frame.join(periods.to_frame(), how="cross")
    return frame


def _share(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(
        pl.col("articles").fill_null(0).cast(pl.Int64),
        pl.col("total").fill_null(0).cast(pl.Int64),
    ).with_columns(
        pl.when(pl.col("total") > 0)
        .then(pl.col("articles") / pl.col("total"))
        .otherwise(0.0)
        .cast(pl.Float64)
        .alias("share")
    )


# -- trends --------------------------------------------------------------------------------------


def trends(con: duckdb.DuckDBPyConnection, spec: ViewSpec, *, fast: bool = True) -> pl.DataFrame:
    """One row per period of the range for every series (and region), zero-filled."""
    spec = spec.replace(table="trends")
    order, split, counts, totals = _counts(con, spec, spec.every, fast)
    cols = columns(spec)
    lo = spec.since or (counts["period"].min() if counts.height else None)
    hi = spec.until or (counts["period"].max() if counts.height else None)
    lo = lo or hi
    hi = hi or lo
    if not order or lo is None or hi is None:
        return _empty(spec)
    grid = _grid(order, split, _periods(lo, hi, spec.every))
    keys = ["period", "theme", *(["region"] if split is not None else [])]
    frame = grid.join(counts, on=keys, how="left").join(
        totals, on=[k for k in keys if k != "theme"], how="left"
    )
    frame = _share(frame).sort(["_s", *(["_r"] if split is not None else []), "period"])
    if spec.smooth > 1:
        metric = {"count": "articles", "share": "share", "tone": "tone"}[spec.metric]
        group = ["_s", *(["_r"] if split is not None else [])]
        frame = frame.with_columns(
            pl.col(metric).cast(pl.Float64)
            .rolling_mean(window_size=spec.smooth, min_samples=1)
            .over(group)
            .alias("smoothed")
        )
    if spec.metric == "tone":
        frame = frame.with_columns(pl.col("tone").cast(pl.Float64))
    return frame.select(cols)


def _empty(spec: ViewSpec) -> pl.DataFrame:
    types = {
        "period": pl.Date, "theme": pl.String, "region": pl.String, "articles": pl.Int64,
        "total": pl.Int64, "share": pl.Float64, "tone": pl.Float64, "smoothed": pl.Float64,
        "baseline": pl.Float64, "z": pl.Float64, "theme_a": pl.String, "theme_b": pl.String,
        "jaccard": pl.Float64, "id": pl.String, "published": pl.Datetime("us"),
        "source": pl.String, "title": pl.String, "url": pl.String, "themes": pl.String,
        "regions": pl.String,
    }
    return pl.DataFrame(schema={c: types[c] for c in columns(spec)})


# -- regions -------------------------------------------------------------------------------------


def regions(con: duckdb.DuckDBPyConnection, spec: ViewSpec, *, fast: bool = True) -> pl.DataFrame:
    """theme × region over the whole range: articles, total (of the region), share."""
    spec = spec.replace(table="regions", by_region=True, metric="count", smooth=1)
    # Each article has one day, so per-year distinct counts sum to distinct counts over the range.
    order, split, counts, totals = _counts(con, spec, "year", fast)
    if not order or not split:
        return _empty(spec)
    counts = counts.group_by(["theme", "region"]).agg(pl.col("articles").sum())
    totals = totals.group_by("region").agg(pl.col("total").sum())
    frame = _grid(order, split, None).join(counts, on=["theme", "region"], how="left")
    frame = _share(frame.join(totals, on="region", how="left")).sort(["_s", "_r"])
    return frame.select(columns(spec))


# -- spikes --------------------------------------------------------------------------------------


def spikes(
    con: duckdb.DuckDBPyConnection,
    spec: ViewSpec,
    *,
    fast: bool = True,
    trends_frame: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Points far above their trailing window (method: docs/semantics.md), series order, by period.

    baseline = mean of the previous SPIKE_WINDOW periods of the series, sd their population
    standard deviation, z = (articles - baseline) / max(sd, sqrt(baseline), 1); a spike needs
    at least SPIKE_MIN_HISTORY previous periods, SPIKE_MIN_ARTICLES articles and z >= SPIKE_Z.
    """
    spec = spec.replace(table="spikes")
    # `trends_frame`: the trends of this same view, when the caller has them already (any
    # metric: every trends frame carries the zero-filled `articles` of each series).
    series = trends_frame if trends_frame is not None else trends(
        con, spec.replace(table="trends", metric="count", smooth=1), fast=fast
    )
    if series.is_empty():
        return _empty(spec)
    group = ["theme", *(["region"] if spec.by_region else [])]
    prev = pl.col("articles").cast(pl.Float64).shift(1)
    frame = series.with_columns(
        pl.int_range(pl.len()).over(group).alias("_n"),
        prev.rolling_mean(window_size=SPIKE_WINDOW, min_samples=1).over(group).alias("baseline"),
        prev.rolling_std(window_size=SPIKE_WINDOW, min_samples=1, ddof=0)
        .over(group)
        .alias("_sd"),
    ).with_columns(
        ((pl.col("articles") - pl.col("baseline"))
         / pl.max_horizontal(pl.col("_sd"), pl.col("baseline").sqrt(), 1.0))
        .alias("z")
    )
    frame = frame.filter(
        (pl.col("_n") >= SPIKE_MIN_HISTORY)
        & (pl.col("articles") >= SPIKE_MIN_ARTICLES)
        & (pl.col("z") >= SPIKE_Z)
    )
    return frame.select(columns(spec))


# -- articles ------------------------------------------------------------------------------------


def _matched_sql(con: duckdb.DuckDBPyConnection, spec: ViewSpec) -> _Sql:
    series = _series(con, spec)
    ids = None if series is None else sorted({t for ids in series.values() for t in ids})
    return _filters(spec, ids)


_ORDER = "ORDER BY a.published DESC, a.id ASC"

def _lists_join(keys_sql: str) -> str:
    """LEFT JOINs giving `themes` and `regions` (';'-joined, sorted) for the aids of `keys_sql`."""
    return f"""
    LEFT JOIN (
        SELECT aid, string_agg(DISTINCT theme, ';' ORDER BY theme) AS themes
        FROM article_themes WHERE aid IN ({keys_sql}) GROUP BY aid
    ) lt ON lt.aid = a.aid
    LEFT JOIN (
        SELECT aid, string_agg(DISTINCT region, ';' ORDER BY region) AS regions
        FROM article_regions WHERE aid IN ({keys_sql}) GROUP BY aid
    ) lr ON lr.aid = a.aid
    """


def _article_frame(rel: duckdb.DuckDBPyRelation) -> pl.DataFrame:
    frame = rel.pl()
    return frame.with_columns(
        pl.col("themes").fill_null(""), pl.col("regions").fill_null("")
    ).select(ARTICLE_COLUMNS)


def articles(
    con: duckdb.DuckDBPyConnection,
    spec: ViewSpec,
    *,
    limit: int | None = None,
    offset: int = 0,
    fast: bool = True,
) -> pl.DataFrame:
    """The matching articles, newest first: id, published, source, title, url, themes, regions."""
    sql = _matched_sql(con, spec)
    params = dict(sql.params)
    page = ""
    if limit is not None:
        page = "LIMIT $limit OFFSET $offset"
        params.update(limit=int(limit), offset=int(offset))
    rel = con.sql(
        f"""
        WITH m AS (SELECT a.aid FROM articles a {_where(sql.matched)} {_ORDER} {page})
        SELECT a.id, a.published, a.source, a.title, a.url, lt.themes, lr.regions
        FROM articles a {_lists_join("SELECT aid FROM m")}
        WHERE a.aid IN (SELECT aid FROM m)
        {_ORDER}
        """,
        params=params,
    )
    return _article_frame(rel)


def articles_arrow(con: duckdb.DuckDBPyConnection, spec: ViewSpec) -> pa.Table:
    """`articles()` as an Arrow table (all rows)."""
    return articles(con, spec).to_arrow()


def article_keys(con: duckdb.DuckDBPyConnection, spec: ViewSpec) -> pl.Series:
    """The internal keys (`aid`) of every matching article in display order (newest first)."""
    sql = _matched_sql(con, spec)
    frame = con.sql(
        f"SELECT a.aid FROM articles a {_where(sql.matched)} {_ORDER}", params=sql.params
    ).pl()
    return frame["aid"].cast(pl.Int64)


def articles_page(con: duckdb.DuckDBPyConnection, aids: Sequence[int]) -> pl.DataFrame:
    """The `articles()` columns for these keys, in the order given."""
    keys = [int(a) for a in aids]
    if not keys:
        return pl.DataFrame(schema={
            "id": pl.String, "published": pl.Datetime("us"), "source": pl.String,
            "title": pl.String, "url": pl.String, "themes": pl.String, "regions": pl.String,
        })
    rel = con.sql(
        f"""
        WITH k AS (SELECT unnest($aids) AS aid, generate_subscripts($aids, 1) AS pos)
        SELECT k.pos, a.id, a.published, a.source, a.title, a.url, lt.themes, lr.regions
        FROM k JOIN articles a ON a.aid = k.aid {_lists_join("SELECT aid FROM k")}
        ORDER BY k.pos
        """,
        params={"aids": keys},
    )
    return _article_frame(rel)


def count_matching(con: duckdb.DuckDBPyConnection, spec: ViewSpec, *, fast: bool = True) -> int:
    """Distinct articles matching every filter of the view (themes and search included)."""
    if _use_facts(con, spec, fast) and not spec.themes:
        where, params = facts._filters(con, spec.regions, spec.sources, spec.since, spec.until)
        table, counted = ("article_facts", "count(*)") if spec.sources else (
            "day_counts", "coalesce(sum(articles), 0)")
        return int(con.sql(
            f"SELECT {counted} FROM {table} {_where(where)}", params=params
        ).fetchall()[0][0])
    sql = _matched_sql(con, spec)
    return int(con.sql(
        f"SELECT count(*) FROM articles a {_where(sql.matched)}", params=sql.params
    ).fetchall()[0][0])


# -- co-occurrence -------------------------------------------------------------------------------


def cooccurrence(
    con: duckdb.DuckDBPyConnection, spec: ViewSpec, *, fast: bool = True
) -> pl.DataFrame:
    """Pairs of the selected themes (or the 12 largest): shared articles and Jaccard.

    Each matching article gets a bit mask of the series it belongs to; pairs are then counted
    over the (few) distinct masks instead of over article pairs.
    """
    spec = spec.replace(table="cooccurrence")
    sql = _filters(spec, None)
    series = _series(con, spec)
    explicit = series is not None
    if series is None:
        series = _all_series(con)
        if len(series) > _MASK_BITS:  # keep the candidates the largest by their own tags
            direct = con.sql(
                f"""
                SELECT t.theme, count(*) AS n FROM article_themes t
                {"JOIN articles a ON a.aid = t.aid " + _where(sql.matched) if sql.matched else ""}
                GROUP BY ALL ORDER BY n DESC, t.theme LIMIT $k
                """,
                params={**sql.params, "k": _MASK_BITS},
            ).fetchall()
            series = {theme: series[theme] for theme, _ in direct if theme in series}
    order = list(series)[:_MASK_BITS]
    names = [name for name in order for _ in series[name]]
    ids = [theme for name in order for theme in series[name]]
    bits = [order.index(name) for name in names]
    restrict = (
        f"JOIN articles a ON a.aid = t.aid {_where(sql.matched)}" if sql.matched else ""
    )
    masks = con.sql(
        f"""
        WITH s AS (SELECT unnest($ids) AS theme, unnest($bits) AS bit),
        m AS (
            SELECT t.aid, bit_or((1::UBIGINT) << s.bit) AS mask
            FROM article_themes t JOIN s ON s.theme = t.theme {restrict}
            GROUP BY t.aid
        )
        SELECT mask, count(*) AS n FROM m GROUP BY mask
        """,
        params={**sql.params, "ids": ids, "bits": bits},
    ).fetchall()
    size = [0] * len(order)
    pair: dict[tuple[int, int], int] = {}
    for mask, n in masks:
        members = [i for i in range(len(order)) if mask >> i & 1]
        for i in members:
            size[i] += n
        for x, i in enumerate(members):
            for j in members[x + 1:]:
                pair[(i, j)] = pair.get((i, j), 0) + n
    keep = list(range(len(order)))
    if not explicit:
        keep = sorted((i for i in keep if size[i] > 0), key=lambda i: (-size[i], order[i]))
        keep = keep[:COOCCURRENCE_THEMES]
    if len(keep) < 2:
        return _empty(spec)
    rows = []
    for x, i in enumerate(keep):
        for j in keep[x + 1:]:
            shared = pair.get((min(i, j), max(i, j)), 0)
            union = size[i] + size[j] - shared
            rows.append((order[i], order[j], shared, shared / union if union else 0.0))
    return pl.DataFrame(
        rows, schema={"theme_a": pl.String, "theme_b": pl.String, "articles": pl.Int64,
                      "jaccard": pl.Float64}, orient="row",
    )


# -- facets, overview, detail --------------------------------------------------------------------


def facet_counts(
    con: duckdb.DuckDBPyConnection, spec: ViewSpec, facet: str, *, limit: int | None = None
) -> pl.DataFrame:
    """Distinct matching articles per value of `facet` under every OTHER filter of the view.

    Columns value, label, articles (and parent for themes), largest first. Theme counts roll up:
    a parent counts the distinct articles of itself and its descendants.
    """
    if facet not in FACETS:
        raise ValueError(f"unknown facet {facet!r} (one of {', '.join(FACETS)})")
    others = spec.replace(**{facet: ()})
    sql = _matched_sql(con, others)
    where = _where(sql.matched)
    params: dict[str, Any] = dict(sql.params)
    page = ""
    if limit is not None:
        page = "LIMIT $limit"
        params["limit"] = int(limit)
    if facet == "themes" and _use_facts(con, others, True):
        counts = facts.series_counts(
            con, _all_series(con), every="year", regions=list(others.regions),
            sources=list(others.sources), since=others.since, until=others.until,
        )
        counts = counts.group_by("theme").agg(pl.col("articles").sum().cast(pl.Int64))
        labels = con.sql("SELECT id, label, parent FROM themes").pl()
        frame = counts.filter(pl.col("articles") > 0).rename({"theme": "value"}).join(
            labels.rename({"id": "value"}), on="value", how="left"
        ).with_columns(pl.coalesce("label", "value").alias("label"))
        frame = frame.sort(["articles", "value"], descending=[True, False])
        if limit is not None:
            frame = frame.head(limit)
        return frame.select("value", "label", "parent", "articles")
    if facet == "themes":
        names, ids = _series_table(_all_series(con))
        params.update(names=names, ids=ids)
        query = f"""
            WITH s AS (SELECT unnest($names) AS name, unnest($ids) AS theme),
            c AS (
                SELECT s.name AS value, count(DISTINCT a.aid)::BIGINT AS articles
                FROM articles a JOIN article_themes t ON t.aid = a.aid
                JOIN s ON s.theme = t.theme {where} GROUP BY ALL
            )
            SELECT c.value, coalesce(th.label, c.value) AS label, th.parent, c.articles
            FROM c LEFT JOIN themes th ON th.id = c.value
            ORDER BY c.articles DESC, c.value {page}
        """
    elif facet == "regions":
        query = f"""
            SELECT r.region AS value, r.region AS label, count(DISTINCT a.aid)::BIGINT AS articles
            FROM articles a JOIN article_regions r ON r.aid = a.aid {where}
            GROUP BY ALL ORDER BY articles DESC, value {page}
        """
    elif facet == "countries":
        query = f"""
            WITH c AS (
                SELECT c.country AS value, count(DISTINCT a.aid)::BIGINT AS articles
                FROM articles a JOIN article_countries c ON c.aid = a.aid {where} GROUP BY ALL
            )
            SELECT c.value, coalesce(any_value(m.name), c.value) AS label, c.articles
            FROM c LEFT JOIN region_map m ON m.country = c.value
            GROUP BY c.value, c.articles ORDER BY c.articles DESC, c.value {page}
        """
    else:
        clauses = [*sql.matched, "a.source IS NOT NULL"]
        query = f"""
            SELECT a.source AS value, a.source AS label, count(*)::BIGINT AS articles
            FROM articles a {_where(clauses)}
            GROUP BY ALL ORDER BY articles DESC, value {page}
        """
    return con.sql(query, params=params).pl()


def overview(
    con: duckdb.DuckDBPyConnection, spec: ViewSpec, *, fast: bool = True
) -> dict[str, Any]:
    """Corpus size and span, the view's matching count, the known themes, whether tone exists."""
    total, first, last, toned = con.sql(
        "SELECT count(*), min(day), max(day), count(tone) > 0 FROM articles"
    ).fetchall()[0]
    known = [t for (t,) in con.sql(
        "SELECT id FROM themes UNION SELECT DISTINCT theme FROM article_themes ORDER BY 1"
    ).fetchall()]
    return {
        "total_articles": int(total),
        "matching": count_matching(con, spec, fast=fast),
        "first_day": first,
        "last_day": last,
        "themes_known": known,
        "has_tone": bool(toned),
    }


def article_detail(con: duckdb.DuckDBPyConnection, article_id: str) -> dict[str, Any] | None:
    """Every stored field of one article, with its themes, countries and regions as lists."""
    rel = con.sql(
        "SELECT aid, id, url, title, source, published, source_country, language, tone, summary "
        "FROM articles WHERE id = $id",
        params={"id": article_id},
    )
    rows = rel.fetchall()
    if not rows:
        return None
    record = dict(zip(rel.columns, rows[0], strict=True))
    aid = record.pop("aid")
    for key, table_name, column in (
        ("themes", "article_themes", "theme"),
        ("countries", "article_countries", "country"),
        ("regions", "article_regions", "region"),
    ):
        record[key] = [v for (v,) in con.sql(
            f"SELECT DISTINCT {column} FROM {table_name} WHERE aid = $aid ORDER BY 1",
            params={"aid": aid},
        ).fetchall()]
    return record
