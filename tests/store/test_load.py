"""The one-transaction, idempotent load of canonical records."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import polars as pl
import pytest

from store import schema
from store.db import initialise
from store.load import Staging

UTC = dt.UTC


def _batch(rows: list[dict]) -> pl.DataFrame:
    for i, r in enumerate(rows, start=1):
        r.setdefault("line", i)
    return pl.DataFrame(
        rows,
        schema={
            "id": pl.String,
            "url": pl.String,
            "title": pl.String,
            "source": pl.String,
            "published": pl.Datetime("us", "UTC"),
            "themes": pl.List(pl.String),
            "countries": pl.List(pl.String),
            "regions": pl.List(pl.String),
            "tone": pl.Float64,
            "summary": pl.String,
            "line": pl.Int64,
        },
    )


def _load(db: Path, rows: list[dict], **kwargs) -> object:
    with Staging(**kwargs) as st:
        f = st.begin_file("f.jsonl", "jsonl", "0" * 64)
        st.add(_batch(rows), f)
        return st.commit(db)


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    return con.sql(sql).fetchall()


BASE = [
    {
        "id": "a1",
        "title": "First [bold]x[/bold]",
        "source": "Harbour Post",
        "published": dt.datetime(2020, 1, 1, 23, 30, tzinfo=UTC),
        "themes": ["united-front", "united-front", "new-theme"],
        "countries": ["cn", "ET"],
        "regions": ["Pacific"],
        "tone": -1.5,
    },
    {
        "url": "HTTPS://Example.COM/story/#top",
        "title": "",
        "published": dt.datetime(2020, 1, 2, tzinfo=UTC),
        "themes": [],
        "countries": None,
    },
]


def test_round_trip_normalises_and_derives(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    result = _load(db, [dict(r) for r in BASE])
    assert (result.new, result.updated, result.unchanged, result.rejected) == (2, 0, 0, 0)
    assert result.new_themes == 1
    con = duckdb.connect(str(db), read_only=True)
    assert schema.current_version(con) == schema.SCHEMA_VERSION
    arts = _rows(con, "SELECT id, title, source, published, day, tone FROM articles ORDER BY aid")
    assert arts[0] == (
        "a1", "First [bold]x[/bold]", "Harbour Post",
        dt.datetime(2020, 1, 1, 23, 30), dt.date(2020, 1, 1), -1.5,
    )
    # id derived from the normalised URL: case of scheme/host, fragment and trailing slash ignored
    assert arts[1][0].startswith("url-") and arts[1][1] == ""
    assert _rows(con, "SELECT theme FROM article_themes WHERE aid = 1 ORDER BY theme") == [
        ("new-theme",), ("united-front",)
    ]
    assert _rows(con, "SELECT country FROM article_countries WHERE aid = 1 ORDER BY 1") == [
        ("CN",), ("ET",)
    ]
    regions = {r[0] for r in _rows(con, "SELECT region FROM article_regions WHERE aid = 1")}
    assert regions == {"Pacific", "East Asia", "Africa"}
    assert _rows(con, "SELECT origin FROM themes WHERE id = 'new-theme'") == [("import",)]
    log = _rows(con, "SELECT path, format, records, new, updated, unchanged, rejected FROM imports")
    assert log == [("f.jsonl", "jsonl", 2, 2, 0, 0, 0)]


def test_reimport_changes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    _load(db, [dict(r) for r in BASE])
    con = duckdb.connect(str(db), read_only=True)
    before = _rows(con, "SELECT * EXCLUDE (import_id) FROM articles ORDER BY aid")
    tags = _rows(con, "SELECT * FROM article_themes ORDER BY ALL")
    con.close()
    again = _load(db, [dict(r) for r in BASE])
    assert (again.new, again.updated, again.unchanged) == (0, 0, 2)
    con = duckdb.connect(str(db), read_only=True)
    assert _rows(con, "SELECT * EXCLUDE (import_id) FROM articles ORDER BY aid") == before
    assert _rows(con, "SELECT * FROM article_themes ORDER BY ALL") == tags


def test_changed_record_counts_as_updated_and_replaces_tags(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    _load(db, [dict(r) for r in BASE])
    changed = [dict(r) for r in BASE]
    changed[0]["themes"] = ["state-media"]
    changed[0]["countries"] = ["US"]
    result = _load(db, changed)
    assert (result.new, result.updated, result.unchanged) == (0, 1, 1)
    con = duckdb.connect(str(db), read_only=True)
    assert _rows(con, "SELECT count(*) FROM articles") == [(2,)]
    aid = _rows(con, "SELECT aid FROM articles WHERE id = 'a1'")[0][0]
    assert aid == 1, "an updated article keeps its internal key"
    assert _rows(con, f"SELECT theme FROM article_themes WHERE aid = {aid}") == [("state-media",)]
    regions = {r[0] for r in _rows(con, f"SELECT region FROM article_regions WHERE aid = {aid}")}
    assert regions == {"Pacific", "North America"}


@pytest.mark.parametrize(
    "change",
    [
        {"url": "https://example.com/a1"},
        {"title": "First [bold]y[/bold]"},
        {"source": None},
        {"source": ""},
        {"published": dt.datetime(2020, 1, 1, 23, 30, 0, 1, tzinfo=UTC)},
        {"themes": ["united-front"]},
        {"countries": ["CN"]},
        {"regions": []},
        {"tone": 1.5},
        {"tone": None},
        {"summary": "now with a summary"},
    ],
)
def test_a_change_to_any_field_counts_as_updated(tmp_path: Path, change: dict) -> None:
    db = tmp_path / "s.duckdb"
    _load(db, [dict(BASE[0])])
    result = _load(db, [{**BASE[0], **change}])
    assert (result.new, result.updated, result.unchanged) == (0, 1, 0)


def test_a_tag_moved_from_one_list_to_another_counts_as_updated(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    first = {**BASE[0], "themes": ["AB", "CN"], "countries": [], "regions": ["East Asia"]}
    _load(db, [first])
    # the same strings in the same order overall (lists are sorted), CN now in the next list (its
    # region is East Asia, so the regions stay the same)
    result = _load(db, [{**first, "themes": ["AB"], "countries": ["CN"]}])
    assert (result.new, result.updated, result.unchanged) == (0, 1, 0)


def _hashes(db: Path) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return _rows(con, "SELECT id, content_hash FROM articles ORDER BY aid")


def test_a_schema_1_file_gets_its_hashes_recomputed(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    _load(db, [dict(r) for r in BASE])
    expected = _hashes(db)
    with duckdb.connect(str(db)) as con:  # back to what version 1 stored: MD5 text
        con.execute("ALTER TABLE articles ALTER COLUMN content_hash TYPE VARCHAR")
        con.execute("UPDATE articles SET content_hash = md5(id)")
        con.execute("DROP TABLE content_hash_probe")
        con.execute("DELETE FROM schema_version WHERE version > 1")
        columns = _rows(con, "SELECT column_name, is_nullable FROM "
                             "information_schema.columns WHERE table_name = 'articles'")
    initialise(db)
    with duckdb.connect(str(db), read_only=True) as con:
        assert _rows(con, "SELECT data_type FROM information_schema.columns WHERE "
                          "table_name = 'articles' AND column_name = 'content_hash'") \
            == [("UBIGINT",)]
        assert _rows(con, "SELECT column_name, is_nullable FROM information_schema.columns "
                          "WHERE table_name = 'articles'") == columns
        assert _rows(con, "SELECT count(*) FROM article_themes")[0][0] == 2
    assert _hashes(db) == expected
    again = _load(db, [dict(r) for r in BASE])
    assert (again.new, again.updated, again.unchanged) == (0, 0, 2)


def test_hashes_are_recomputed_when_the_hash_function_changed(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    _load(db, [dict(r) for r in BASE])
    expected = _hashes(db)
    with duckdb.connect(str(db)) as con:  # as if a DuckDB release had changed `hash`
        con.execute("UPDATE content_hash_probe SET probe = probe + 1")
        con.execute("UPDATE articles SET content_hash = 7")
    again = _load(db, [dict(r) for r in BASE])
    assert (again.new, again.updated, again.unchanged) == (0, 0, 2)
    assert _hashes(db) == expected


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"title": None}, 'missing required field "title"'),
        ({"published": None}, 'missing required field "published"'),
        ({"countries": ["XX"]}, "country XX is not an ISO 3166-1 alpha-2 code"),
        ({"countries": ["CHN"]}, "country CHN is not an ISO 3166-1 alpha-2 code"),
        ({"regions": ["Atlantis"]}, "unknown region Atlantis"),
        ({"themes": [f"t{i}" for i in range(1001)]}, "too many themes"),
        ({"themes": ["bad\x1b[31m"]}, "invalid theme id"),
    ],
)
def test_invalid_records_are_rejected_with_their_line(
    tmp_path: Path, change: dict, reason: str
) -> None:
    db = tmp_path / "s.duckdb"
    rows = [dict(r) for r in BASE]
    rows[1].update(change)
    rows[1]["line"] = 7
    result = _load(db, rows)
    assert result.new == 1 and result.rejected == 1
    (reject,) = result.rejects
    assert reject.file == "f.jsonl" and reject.line == 7 and reason in reject.reason
    con = duckdb.connect(str(db), read_only=True)
    assert _rows(con, "SELECT file, line FROM rejects") == [("f.jsonl", 7)]


def test_duplicate_ids_in_one_import_last_wins_or_union(tmp_path: Path) -> None:
    rows = [
        {"id": "d", "title": "one", "published": dt.datetime(2021, 5, 1, tzinfo=UTC),
         "themes": ["a"], "countries": ["FR"]},
        {"id": "d", "title": "two", "published": dt.datetime(2021, 5, 1, tzinfo=UTC),
         "themes": ["b"], "countries": ["DE"]},
    ]
    db = tmp_path / "last.duckdb"
    _load(db, [dict(r) for r in rows])
    con = duckdb.connect(str(db), read_only=True)
    assert _rows(con, "SELECT title FROM articles") == [("two",)]
    assert _rows(con, "SELECT theme FROM article_themes") == [("b",)]
    con.close()
    db = tmp_path / "union.duckdb"
    _load(db, [dict(r) for r in rows], on_duplicate="union")
    con = duckdb.connect(str(db), read_only=True)
    assert _rows(con, "SELECT title FROM articles") == [("one",)]
    assert _rows(con, "SELECT theme FROM article_themes ORDER BY 1") == [("a",), ("b",)]
    assert _rows(con, "SELECT country FROM article_countries ORDER BY 1") == [("DE",), ("FR",)]


def test_failed_merge_leaves_database_unchanged(tmp_path: Path, monkeypatch) -> None:
    db = tmp_path / "s.duckdb"
    _load(db, [dict(r) for r in BASE])
    import store.load as load

    real = load._merge

    def broken(main, *args, **kwargs):
        real(main, *args, **kwargs)
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(load, "_merge", broken)
    changed = [dict(r) for r in BASE]
    changed[0]["title"] = "changed"
    with pytest.raises(RuntimeError):
        _load(db, changed + [{"id": "zz", "title": "new", "published": dt.datetime.now(UTC)}])
    con = duckdb.connect(str(db), read_only=True)
    assert _rows(con, "SELECT count(*) FROM articles") == [(2,)]
    assert _rows(con, "SELECT title FROM articles WHERE id = 'a1'") == [("First [bold]x[/bold]",)]
    assert _rows(con, "SELECT count(*) FROM imports") == [(1,)]


def test_initialise_is_idempotent_and_records_version(tmp_path: Path) -> None:
    db = tmp_path / "nested" / "s.duckdb"
    db.parent.mkdir()
    initialise(db)
    initialise(db)
    con = duckdb.connect(str(db), read_only=True)
    # each migration recorded once, in order, up to the current version
    assert _rows(con, "SELECT version FROM schema_version ORDER BY version") == [
        (v,) for v in range(1, schema.SCHEMA_VERSION + 1)
    ]
    assert _rows(con, "SELECT count(*) FROM themes WHERE origin = 'taxonomy'")[0][0] > 0
    assert _rows(con, "SELECT count(*) FROM region_map")[0][0] > 0


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    initialise(db)
    con = duckdb.connect(str(db))
    con.execute("INSERT INTO schema_version (version) VALUES (?)", [schema.SCHEMA_VERSION + 1])
    with pytest.raises(RuntimeError, match="newer than this program"):
        schema.migrate(con)
