"""One representative view, computed four ways: ours, one hand-written DuckDB query, pandas, Polars.

The view is the analyst's question of DESIGN §1 made heavier: the five most used leaf themes in the
three largest regions, by ISO week over the whole corpus, as a share of all coverage per region.
Every implementation returns the finished table — one row per (theme, region, week), zero-filled,
with `articles`, `total` and `share` — and the harness checks they agree before timing them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import polars as pl

EVERY = "week"


@dataclass(frozen=True)
class View:
    """The filters of the benchmarked view and the corpus's day range."""

    themes: tuple[str, ...]
    regions: tuple[str, ...]
    first_day: date
    last_day: date


def pick_view(con: duckdb.DuckDBPyConnection) -> View:
    """The five most used themes without children and the three largest regions of the corpus."""
    themes = con.sql(
        """
        SELECT theme FROM article_themes
        WHERE theme NOT IN (SELECT parent FROM themes WHERE parent IS NOT NULL)
        GROUP BY theme ORDER BY count(*) DESC, theme LIMIT 5
        """
    ).fetchall()
    regions = con.sql(
        "SELECT region FROM article_regions GROUP BY region ORDER BY count(*) DESC, region LIMIT 3"
    ).fetchall()
    first, last = con.sql("SELECT min(day), max(day) FROM articles").fetchall()[0]
    return View(
        themes=tuple(sorted(t for (t,) in themes)),
        regions=tuple(sorted(r for (r,) in regions)),
        first_day=first,
        last_day=last,
    )


# -- ours ------------------------------------------------------------------------------------------


def viewspec(view: View) -> object:
    """The view as the store's ViewSpec."""
    from store.viewspec import ViewSpec

    return ViewSpec(
        themes=view.themes, regions=view.regions, every=EVERY, metric="share", by_region=True,
        # the whole corpus, as the other ways count it (without dates a ViewSpec spans the
        # matching articles, which can start a week later on a small corpus)
        since=view.first_day, until=view.last_day,
    )


def ours(con: duckdb.DuckDBPyConnection, spec: object) -> pl.DataFrame:
    """ViewSpec → finished trends table, through the store's aggregation."""
    from store import aggregate

    return aggregate.trends(con, spec)


def facts_table(con: duckdb.DuckDBPyConnection, view: View) -> pl.DataFrame:
    """The finished table from the store's fact tables (store/facts.py), zero-filled in Polars."""
    from store import facts

    series = {theme: [theme] for theme in view.themes}
    counts = facts.series_counts(con, series, every=EVERY, regions=view.regions, by_region=True)
    totals = facts.period_totals(con, every=EVERY, regions=view.regions, by_region=True)
    periods = pl.date_range(
        _monday(view.first_day), _monday(view.last_day), interval="1w", eager=True
    ).alias("period")
    grid = (
        pl.DataFrame(periods)
        .join(pl.DataFrame({"theme": list(view.themes)}), how="cross")
        .join(pl.DataFrame({"region": list(view.regions)}), how="cross")
    )
    return (
        grid.join(counts, on=["period", "theme", "region"], how="left")
        .join(totals, on=["period", "region"], how="left")
        .with_columns(pl.col("articles").fill_null(0), pl.col("total").fill_null(0))
        .with_columns(
            share=pl.when(pl.col("total") > 0)
            .then(pl.col("articles") / pl.col("total"))
            .otherwise(0.0)
        )
        .sort("theme", "region", "period")
    )


# -- the hand-written DuckDB query -----------------------------------------------------------------

# (aid, theme) and (aid, region) pairs are unique in the store: count(*) counts distinct articles.
HAND_SQL = """
WITH sel AS (
    SELECT aid, date_trunc('week', day)::DATE AS period FROM articles
),
hits AS (
    SELECT s.period, t.theme, r.region, count(*) AS articles
    FROM sel s
    JOIN article_themes t ON t.aid = s.aid
    JOIN article_regions r ON r.aid = s.aid
    WHERE t.theme IN (SELECT unnest($themes)) AND r.region IN (SELECT unnest($regions))
    GROUP BY ALL
),
totals AS (
    SELECT s.period, r.region, count(*) AS total
    FROM sel s JOIN article_regions r ON r.aid = s.aid
    WHERE r.region IN (SELECT unnest($regions))
    GROUP BY ALL
),
periods AS (
    SELECT unnest(generate_series(date_trunc('week', $first)::DATE,
                                  date_trunc('week', $last)::DATE, INTERVAL 1 WEEK))::DATE AS period
)
SELECT p.period, th.theme, rg.region,
    coalesce(h.articles, 0) AS articles,
    coalesce(tt.total, 0) AS total,
    CASE WHEN coalesce(tt.total, 0) = 0 THEN 0.0 ELSE h.articles / tt.total END AS share
FROM periods p
CROSS JOIN (SELECT unnest($themes) AS theme) th
CROSS JOIN (SELECT unnest($regions) AS region) rg
LEFT JOIN hits h ON h.period = p.period AND h.theme = th.theme AND h.region = rg.region
LEFT JOIN totals tt ON tt.period = p.period AND tt.region = rg.region
ORDER BY th.theme, rg.region, p.period
"""


def hand_written(con: duckdb.DuckDBPyConnection, view: View) -> pl.DataFrame:
    """The same table from one hand-written DuckDB query."""
    params = {
        "themes": list(view.themes),
        "regions": list(view.regions),
        "first": view.first_day,
        "last": view.last_day,
    }
    return con.sql(HAND_SQL, params=params).pl()


# -- the tables as Parquet files, for the dataframe libraries --------------------------------------


def parquet_tables(db: Path) -> dict[str, Path]:
    """articles(aid, day), article_themes, article_regions as Parquet files beside the corpus."""
    out = {}
    con = duckdb.connect(str(db), read_only=True)
    try:
        for name, select in (
            ("articles", "SELECT aid, day FROM articles"),
            ("article_themes", "SELECT aid, theme FROM article_themes"),
            ("article_regions", "SELECT aid, region FROM article_regions"),
        ):
            path = db.with_name(f"{db.stem}.{name}.parquet")
            if not path.exists():
                tmp = path.with_suffix(".tmp")
                con.execute(f"COPY ({select}) TO '{tmp}' (FORMAT parquet)")
                tmp.rename(path)
            out[name] = path
    finally:
        con.close()
    return out


def polars_obvious(files: dict[str, Path], view: View) -> pl.DataFrame:
    """Polars over the Parquet files, the way a script would do it: read, filter, join, group."""
    articles = pl.read_parquet(files["articles"])
    themes = pl.read_parquet(files["article_themes"])
    regions = pl.read_parquet(files["article_regions"])
    articles = articles.with_columns(period=pl.col("day").dt.truncate("1w"))
    regions = regions.filter(pl.col("region").is_in(view.regions))
    hits = (
        articles.join(themes.filter(pl.col("theme").is_in(view.themes)), on="aid")
        .join(regions, on="aid")
        .group_by("period", "theme", "region")
        .agg(articles=pl.col("aid").n_unique())
    )
    totals = (
        articles.join(regions, on="aid")
        .group_by("period", "region")
        .agg(total=pl.col("aid").n_unique())
    )
    periods = pl.date_range(
        _monday(view.first_day), _monday(view.last_day), interval="1w", eager=True
    ).alias("period")
    grid = (
        pl.DataFrame(periods)
        .join(pl.DataFrame({"theme": list(view.themes)}), how="cross")
        .join(pl.DataFrame({"region": list(view.regions)}), how="cross")
    )
    return (
        grid.join(hits, on=["period", "theme", "region"], how="left")
        .join(totals, on=["period", "region"], how="left")
        .with_columns(pl.col("articles").fill_null(0), pl.col("total").fill_null(0))
        .with_columns(
            share=pl.when(pl.col("total") > 0)
            .then(pl.col("articles") / pl.col("total"))
            .otherwise(0.0)
        )
        .sort("theme", "region", "period")
    )


def pandas_obvious(files: dict[str, Path], view: View) -> object:
    """pandas over the Parquet files: read, filter, merge, groupby, reindex."""
    import pandas as pd

    articles = pd.read_parquet(files["articles"])
    themes = pd.read_parquet(files["article_themes"])
    regions = pd.read_parquet(files["article_regions"])
    day = pd.to_datetime(articles["day"])
    articles["period"] = (day - pd.to_timedelta(day.dt.weekday, unit="D")).dt.normalize()
    regions = regions[regions["region"].isin(view.regions)]
    themes = themes[themes["theme"].isin(view.themes)]
    with_regions = articles.merge(regions, on="aid")
    hits = (
        with_regions.merge(themes, on="aid")
        .groupby(["period", "theme", "region"])["aid"].nunique().rename("articles")
    )
    totals = with_regions.groupby(["period", "region"])["aid"].nunique().rename("total")
    periods = pd.date_range(_monday(view.first_day), _monday(view.last_day), freq="7D")
    grid = pd.MultiIndex.from_product(
        [periods, list(view.themes), list(view.regions)], names=["period", "theme", "region"]
    ).to_frame(index=False)
    table = grid.merge(hits.reset_index(), how="left").merge(totals.reset_index(), how="left")
    table[["articles", "total"]] = table[["articles", "total"]].fillna(0).astype("int64")
    table["share"] = (table["articles"] / table["total"].where(table["total"] > 0)).fillna(0.0)
    return table.sort_values(["theme", "region", "period"], ignore_index=True)


def _monday(day: date) -> date:
    from datetime import timedelta

    return day - timedelta(days=day.weekday())


def checksum(frame: object) -> tuple[int, int, int]:
    """(rows, Σ articles, Σ total) of a finished table in any of the three libraries."""
    if isinstance(frame, pl.DataFrame):
        return (frame.height, int(frame["articles"].sum()), int(frame["total"].sum()))
    return (len(frame), int(frame["articles"].sum()), int(frame["total"].sum()))  # type: ignore
