"""The fact tables: same counts as the normalised tables, kept in step by imports."""

from __future__ import annotations

import datetime as dt
import itertools
import random
from pathlib import Path

import duckdb
import polars as pl
import pytest

from store import facts
from store.load import Staging

UTC = dt.UTC
THEMES = ["united-front", "confucius-institutes", "state-media", "censorship", "belt-and-road"]
REGIONS = ["Africa", "Europe", "Pacific", "East Asia", "South Asia"]
SOURCES = ["Harbour Post", "Vistula Courier", "Lakeshore Briefing"]


def _articles(n: int, seed: int) -> pl.DataFrame:
    rnd = random.Random(seed)
    rows = []
    for i in range(n):
        rows.append({
            "id": f"a{i}",
            "title": f"t{i}",
            "source": rnd.choice(SOURCES + [None]),
            "published": dt.datetime(2019, 1, 1, tzinfo=UTC)
            + dt.timedelta(hours=rnd.randrange(0, 24 * 800)),
            "themes": rnd.sample(THEMES, rnd.randrange(0, 3)),
            "countries": [],
            "regions": rnd.sample(REGIONS, rnd.randrange(0, 3)),
            "line": i + 1,
        })
    return pl.DataFrame(rows, schema={
        "id": pl.String, "title": pl.String, "source": pl.String,
        "published": pl.Datetime("us", "UTC"), "themes": pl.List(pl.String),
        "countries": pl.List(pl.String), "regions": pl.List(pl.String), "line": pl.Int64,
    })


def _import(db: Path, batch: pl.DataFrame) -> None:
    with Staging() as st:
        st.add(batch, st.begin_file("f.jsonl", "jsonl"))
        st.commit(db)


def _rebuild(db: Path) -> None:
    con = duckdb.connect(str(db))
    try:
        con.execute("BEGIN TRANSACTION")
        facts.rebuild(con)
        con.execute("COMMIT")
    finally:
        con.close()


def _fresh(path: Path) -> Path:
    _import(path, _articles(400, seed=1))
    _rebuild(path)
    return path


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return _fresh(tmp_path / "f.duckdb")


@pytest.fixture(scope="module")
def shared_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _fresh(tmp_path_factory.mktemp("facts") / "f.duckdb")


def _reference_counts(con, series, every, regions, by_region, sources, since, until):
    """Distinct articles per period/series[/region], by a plain join of the normalised tables."""
    names = [n for n, ids in series.items() for _ in ids]
    ids = [t for ids in series.values() for t in ids]
    region_col = ", r.region" if by_region else ""
    region_join = "JOIN article_regions r ON r.aid = a.aid AND list_contains($regions, r.region)"
    region_filter = (
        "" if by_region or not regions else
        "AND a.aid IN (SELECT aid FROM article_regions WHERE list_contains($regions, region))"
    )
    params = {"names": names, "ids": ids, "every": every, "regions": list(regions),
              "sources": list(sources), "since": since, "until": until}
    return con.sql(
        f"""
        SELECT date_trunc($every, a.day)::DATE AS period, s.name AS theme{region_col},
            count(DISTINCT a.aid) AS articles
        FROM articles a
        JOIN article_themes t ON t.aid = a.aid
        JOIN (SELECT unnest($names) AS name, unnest($ids) AS theme) s ON s.theme = t.theme
        {region_join if by_region else ""}
        WHERE ($since IS NULL OR a.day >= $since) AND ($until IS NULL OR a.day <= $until)
          AND (len($sources) = 0 OR list_contains($sources, a.source)) AND len($regions) >= 0
          {region_filter}
        GROUP BY ALL
        """,
        params=params,
    ).pl()


def _reference_totals(con, every, regions, by_region, sources, since, until):
    region_col = ", r.region" if by_region else ""
    join = ("JOIN article_regions r ON r.aid = a.aid AND list_contains($regions, r.region)"
            if by_region else "")
    region_filter = (
        "" if by_region or not regions else
        "AND a.aid IN (SELECT aid FROM article_regions WHERE list_contains($regions, region))"
    )
    return con.sql(
        f"""
        SELECT date_trunc($every, a.day)::DATE AS period{region_col},
            count(DISTINCT a.aid) AS total
        FROM articles a {join}
        WHERE ($since IS NULL OR a.day >= $since) AND ($until IS NULL OR a.day <= $until)
          AND (len($sources) = 0 OR list_contains($sources, a.source)) AND len($regions) >= 0
          {region_filter}
        GROUP BY ALL
        """,
        params={"every": every, "regions": list(regions), "sources": list(sources),
                "since": since, "until": until},
    ).pl()


def _same(a: pl.DataFrame, b: pl.DataFrame) -> None:
    keys = [c for c in a.columns if c not in ("articles", "total")]
    assert a.columns == b.columns
    assert a.sort(keys).cast({c: pl.Int64 for c in ("articles", "total") if c in a.columns}) \
        .equals(b.sort(keys).cast({c: pl.Int64 for c in ("articles", "total") if c in b.columns}))


VIEWS = random.Random(0).sample(list(itertools.product(
    ["week", "month", "year"],
    [(), ("Europe",), ("Africa", "Pacific", "East Asia")],
    [False, True],
    [(), ("Harbour Post",)],
    [(None, None), (dt.date(2019, 6, 3), dt.date(2020, 6, 30))],
)), 12)


@pytest.mark.parametrize(("every", "regions", "by_region", "sources", "dates"), VIEWS)
def test_counts_match_the_normalised_tables(shared_db: Path, every, regions, by_region, sources,
                                            dates) -> None:
    if by_region and not regions:
        regions = tuple(REGIONS)
    series = {"united-front": ["united-front"], "media": ["state-media", "censorship"],
              "belt-and-road": ["belt-and-road"]}
    since, until = dates
    con = duckdb.connect(str(shared_db), read_only=True)
    try:
        assert facts.current(con)
        got = facts.series_counts(con, series, every=every, regions=regions,
                                  by_region=by_region, sources=sources, since=since, until=until)
        want = _reference_counts(con, series, every, regions, by_region, sources, since, until)
        assert want.height > 0
        _same(got, want)
        totals = facts.period_totals(con, every=every, regions=regions, by_region=by_region,
                                     sources=sources, since=since, until=until)
        _same(totals, _reference_totals(con, every, regions, by_region, sources, since, until))
    finally:
        con.close()


def test_update_replaces_changed_articles(db: Path) -> None:
    changed = _articles(400, seed=2).head(150)  # same ids a0..a149, other content
    _import(db, changed)
    con = duckdb.connect(str(db))
    try:
        con.execute("BEGIN TRANSACTION")
        facts.update(con, "SELECT aid FROM articles WHERE id IN "
                          "(SELECT 'a' || i FROM range(0, 150) AS r(i))")
        facts.mark_current(con)
        con.execute("COMMIT")
        updated = _facts_snapshot(con)
        assert facts.current(con)
    finally:
        con.close()
    _rebuild(db)
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert _facts_snapshot(con) == updated
    finally:
        con.close()


def test_not_current_after_an_import_that_did_not_update_them(db: Path) -> None:
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert facts.current(con)
    finally:
        con.close()
    con = duckdb.connect(str(db))
    try:
        con.execute("INSERT INTO imports SELECT * REPLACE (import_id + 100 AS import_id) "
                    "FROM imports LIMIT 1")
        assert not facts.current(con)
    finally:
        con.close()


def test_region_bits_are_stable(db: Path) -> None:
    con = duckdb.connect(str(db))
    try:
        before = facts.region_bit_map(con)
        facts.create(con)
        assert facts.region_bit_map(con) == before
        assert len(set(before.values())) == len(before)
    finally:
        con.close()


def test_supports() -> None:
    assert facts.supports()
    assert not facts.supports(countries=("CN",))
    assert not facts.supports(search="belt")


def _facts_snapshot(con: duckdb.DuckDBPyConnection) -> tuple[list, ...]:
    return tuple(
        con.sql(f"SELECT * FROM {table} ORDER BY ALL").fetchall()
        for table in ("theme_facts", "article_facts", "day_counts", "theme_day_counts")
    )


def test_after_import_rebuilds_a_file_without_facts(tmp_path: Path) -> None:
    db = tmp_path / "old.duckdb"
    _import(db, _articles(200, seed=3))
    con = duckdb.connect(str(db))
    try:
        con.execute("DROP TABLE IF EXISTS facts_state")
        assert not facts.current(con)
        facts.after_import(con, "SELECT aid FROM articles", [1])
        assert facts.current(con)
        got = _facts_snapshot(con)
        facts.rebuild(con)
        assert _facts_snapshot(con) == got
        assert len(got[1]) == 200
    finally:
        con.close()


def test_after_import_updates_incrementally_when_in_step(db: Path) -> None:
    _import(db, _articles(300, seed=4).with_columns(pl.col("id") + "-new"))
    _import(db, _articles(100, seed=5))  # updates a0..a99
    con = duckdb.connect(str(db))
    try:
        new_ids = [i for (i,) in con.sql(
            "SELECT import_id FROM imports ORDER BY import_id DESC LIMIT 2").fetchall()]
        con.execute("DELETE FROM facts_state")
        con.execute("INSERT INTO facts_state VALUES (?)", [min(new_ids) - 1])
        facts.after_import(
            con, "SELECT aid FROM articles WHERE list_contains($ids, import_id)".replace(
                "$ids", str(new_ids)), new_ids)
        assert facts.current(con)
        got = _facts_snapshot(con)
        facts.rebuild(con)
        assert _facts_snapshot(con) == got
    finally:
        con.close()


def test_imports_keep_the_facts_current(tmp_path: Path) -> None:
    db = tmp_path / "kept.duckdb"
    _import(db, _articles(300, seed=6))
    _import(db, _articles(120, seed=7))  # updates a0..a119
    _import(db, _articles(50, seed=7).with_columns(pl.col("id") + "-x"))  # new only
    con = duckdb.connect(str(db))
    try:
        assert facts.current(con)
        got = _facts_snapshot(con)
        assert len(got[1]) == 350
        facts.rebuild(con)
        assert _facts_snapshot(con) == got
    finally:
        con.close()


def test_not_current_when_a_fact_table_is_missing(db: Path) -> None:
    con = duckdb.connect(str(db))
    try:
        con.execute("DROP TABLE theme_day_counts")
        assert not facts.current(con)
        facts.after_import(con, "SELECT aid FROM articles", [])
        assert facts.current(con)
    finally:
        con.close()


def test_facts_follow_the_files_own_region_bits(tmp_path: Path) -> None:
    """A file whose region bits are numbered otherwise than this program's region masks (an
    older release, another region list): imports still give each region its file's bit."""
    from store.taxonomy import REGIONS as ALL_REGIONS

    db = tmp_path / "bits.duckdb"
    con = duckdb.connect(str(db))
    try:
        con.execute(facts.DDL)
        for bit, region in enumerate(reversed(ALL_REGIONS)):
            con.execute("INSERT INTO region_bits VALUES (?, ?)", [region, bit + 3])
    finally:
        con.close()
    _import(db, _articles(300, seed=8))
    _import(db, _articles(120, seed=9))  # updates a0..a119: the incremental path
    con = duckdb.connect(str(db))
    try:
        assert facts.region_bit_map(con)["Africa"] == len(ALL_REGIONS) + 2
        assert facts.current(con)
        got = _facts_snapshot(con)
        facts.rebuild(con)
        assert _facts_snapshot(con) == got
        assert any(regions for (*_, regions) in got[1])
    finally:
        con.close()
