"""CSV, TSV and Parquet tables: canonical columns, mappings, encodings, line numbers."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from importers import mapping
from importers.base import ImportFormatError, ReadOptions
from importers.run import run_import
from store.load import ImportResult

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "import"


def _rows(db: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.sql(sql).fetchall()
    finally:
        con.close()


def _links(db: Path, table: str, column: str, article: str) -> list[str]:
    return sorted(r[0] for r in _rows(
        db, f"SELECT {column} FROM {table} JOIN articles USING (aid) WHERE id = '{article}'"))


def _options(name: str) -> ReadOptions:
    path = FIXTURES / name
    return ReadOptions(mapping=mapping.load(path), mapping_path=path)


def test_csv_with_canonical_columns(tmp_path: Path) -> None:
    db = tmp_path / "t.duckdb"
    result = run_import([FIXTURES / "canonical.csv"], db)
    assert (result.new, result.rejected) == (3, 0)
    assert _links(db, "article_themes", "theme", "c1") == ["china-model", "party-training"]
    assert _links(db, "article_regions", "region", "c1") == ["Africa"]
    assert _rows(db, "SELECT title, tone FROM articles WHERE id = 'c2'") == [
        ("A title with\na newline", None)
    ]
    assert _rows(db, "SELECT tone, source FROM articles WHERE id = 'c1'") == [(0.5, "Addis Daily")]


def test_csv_line_numbers_follow_quoted_newlines(tmp_path: Path) -> None:
    src = tmp_path / "lines.csv"
    src.write_text(
        'title,published\n"two\nlines",2020-01-01\n\nbad date,2020-02-30\n'
        'too,many,fields\n"ok",2020-01-03\n'
    )
    result = run_import([src], tmp_path / "t.duckdb")
    assert result.new == 2
    assert [(r.line, r.reason) for r in result.rejects] == [
        (5, '"published" 2020-02-30: no such date'),
        (6, "3 fields where the header has 2"),
    ]


def test_tsv(tmp_path: Path) -> None:
    db = tmp_path / "t.duckdb"
    result = run_import([FIXTURES / "canonical.tsv"], db)
    assert result.new == 2
    assert _rows(db, "SELECT title FROM articles WHERE id = 't2'") == [("Second, with comma",)]
    assert _links(db, "article_countries", "country", "t1") == ["FR"]


def test_bom_is_accepted(tmp_path: Path) -> None:
    db = tmp_path / "t.duckdb"
    assert run_import([FIXTURES / "bom.csv"], db).new == 1
    assert _rows(db, "SELECT id, title FROM articles") == [("bom1", "With a BOM")]


def test_non_utf8_csv_is_refused_naming_the_file(tmp_path: Path) -> None:
    with pytest.raises(ImportFormatError, match=r"latin1\.csv:2: not UTF-8"):
        run_import([FIXTURES / "latin1.csv"], tmp_path / "t.duckdb")
    assert not (tmp_path / "t.duckdb").exists()


def test_mapping_iso3_date_format_and_constants(tmp_path: Path) -> None:
    db = tmp_path / "t.duckdb"
    result = run_import([FIXTURES / "coded.csv"], db, options=_options("coded.toml"))
    assert (result.new, result.rejected) == (3, 0)
    assert _rows(db, "SELECT published::VARCHAR, source_country, language, tone FROM articles "
                     "WHERE id = 'v1'") == [("2018-03-05 00:00:00", "CN", "en", 1.5)]
    assert _links(db, "article_countries", "country", "v1") == ["ET", "KE"]
    assert _links(db, "article_themes", "theme", "v1") == [
        "china-model", "external-propaganda", "party-training"]
    # the constant theme reaches records without codes too
    assert _links(db, "article_themes", "theme", "v3") == ["external-propaganda"]
    assert _links(db, "article_regions", "region", "v2") == ["Pacific"]


def test_mapping_country_names(tmp_path: Path) -> None:
    db = tmp_path / "t.duckdb"
    result = run_import([FIXTURES / "names.csv"], db, options=_options("names.toml"))
    assert result.new == 2
    assert [(r.line, r.reason) for r in result.rejects] == [
        (4, "country Narnia is not a known country name")]
    assert sorted(r[0] for r in _rows(db, "SELECT country FROM article_countries")) == ["ET", "FJ"]


def test_mapping_errors_name_the_mapping_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[columns]\nheadline = "Headline"\n')
    with pytest.raises(ImportFormatError, match=r"bad\.toml: \[columns\] 'headline' is not a"):
        run_import([FIXTURES / "coded.csv"], tmp_path / "t.duckdb",
                   options=ReadOptions(mapping=mapping.load(bad), mapping_path=bad))
    bad.write_text('[countries]\nsystem = "iso9"\n')
    with pytest.raises(ImportFormatError, match="must be one of iso2, iso3, fips, name"):
        mapping.parse(mapping.load(bad), str(bad))
    bad.write_text("not = [toml")
    with pytest.raises(ImportFormatError, match="not a valid TOML"):
        mapping.load(bad)


def test_missing_required_column_is_a_file_error(tmp_path: Path) -> None:
    src = tmp_path / "x.csv"
    src.write_text("headline,date\nA,2020-01-01\n")
    with pytest.raises(ImportFormatError, match=r"x\.csv: no column for the required field "
                                                r"'title'.*headline, date"):
        run_import([src], tmp_path / "t.duckdb")


def _import_fips(tmp_path: Path, field: str, rows: str) -> tuple[Path, ImportResult]:
    """Import a CSV of title, published and `where` (FIPS codes) mapped to `field`."""
    src = tmp_path / "f.csv"
    src.write_text("title,published,where\n" + rows)
    m = tmp_path / "m.toml"
    m.write_text('[columns]\ntitle = "title"\npublished = "published"\n'
                 f'{field} = "where"\n[countries]\n{field} = "fips"\n')
    db = tmp_path / "t.duckdb"
    return db, run_import([src], db, options=ReadOptions(mapping=mapping.load(m), mapping_path=m))


def test_fips_system_for_source_country(tmp_path: Path) -> None:
    db, result = _import_fips(tmp_path, "source_country", "A,2020-01-01,CH\nB,2020-01-02, UK\n"
                              "C,2020-01-03,  \nD,2020-01-04, XX \n")
    assert sorted(_rows(db, "SELECT title, source_country FROM articles")) == [
        ("A", "CN"), ("B", "GB"), ("C", None)]
    assert [(r.line, r.reason) for r in result.rejects] == [
        (5, "source_country XX is not a known FIPS 10-4 country code")]


def test_fips_country_lists_with_padding_and_empty_items(tmp_path: Path) -> None:
    db, result = _import_fips(tmp_path, "countries", "A,2020-01-01, CH ; ;KE;\n"
                              "B,2020-01-02,;\nC,2020-01-03,UK; XX\n")
    assert [(r.line, r.reason) for r in result.rejects] == [
        (4, "country XX is not a known FIPS 10-4 country code")]
    assert sorted(_rows(db, "SELECT title, country FROM article_countries "
                            "JOIN articles USING (aid)")) == [("A", "CN"), ("A", "KE")]
    assert _rows(db, "SELECT count(*) FROM articles WHERE title = 'B'") == [(1,)]


def _parquet(path: Path) -> None:
    table = pa.table({
        "id": ["p1", "p2", "p3"],
        "title": ["Parquet one", "Parquet two", None],
        "published": pa.array([1_600_000_000_000_000, 1_600_086_400_000_000, 0],
                              pa.timestamp("us")),
        "themes": pa.array([["belt-and-road"], [], None], pa.list_(pa.string())),
        "countries": pa.array([["KE"], ["CN", "LA"], None], pa.list_(pa.string())),
        "tone": pa.array([1.0, None, 2.0], pa.float64()),
    })
    pq.write_table(table, path)


def test_parquet_with_canonical_columns(tmp_path: Path) -> None:
    src = tmp_path / "a.parquet"
    _parquet(src)
    db = tmp_path / "t.duckdb"
    result = run_import([src], db)
    assert result.new == 2
    assert [(r.line, r.reason) for r in result.rejects] == [(3, 'missing required field "title"')]
    assert _rows(db, "SELECT published::VARCHAR FROM articles WHERE id = 'p1'") == [
        ("2020-09-13 12:26:40",)]
    assert _links(db, "article_regions", "region", "p2") == ["East Asia", "Southeast Asia"]


def test_parquet_query_and_batch_paths_agree(tmp_path: Path, monkeypatch) -> None:
    from store.load import Staging

    src = tmp_path / "a.parquet"
    pq.write_table(pa.table({
        "id": ["q1", "q2", "q3", "q4"],
        "title": ["one", None, "three", "fo\x00ur"],
        "published": ["2020-01-01", "2020-01-02", "2020-13-01", "2020-01-04"],
        "themes": [["a", " b ", "", "a"], [], None, ["c"]],
        "countries": [["KE"], ["ZZ"], [], []],
        "tone": [1.0, None, 2.0, None],
    }), src)

    def load(db: Path) -> tuple:
        result = run_import([src], db, options=ReadOptions(theme="added"))
        return (
            _rows(db, "SELECT * EXCLUDE (import_id) FROM articles ORDER BY aid"),
            _rows(db, "SELECT aid, theme FROM article_themes ORDER BY ALL"),
            [(r.line, r.reason) for r in result.rejects],
            _rows(db, "SELECT records, new, rejected FROM imports"),
        )

    by_query = load(tmp_path / "query.duckdb")
    monkeypatch.setattr(Staging, "add_query", lambda *args, **kwargs: False)
    batches = load(tmp_path / "batches.duckdb")
    assert by_query[1:] == batches[1:]
    assert [r[1:] for r in by_query[0]] == [r[1:] for r in batches[0]]  # aids may differ
    assert [line for line, _ in by_query[2]] == [2, 3, 4]
    assert [t for _, t in by_query[1]] == ["a", "added", "b"]  # q1 alone is accepted


def test_parquet_with_a_mapping(tmp_path: Path) -> None:
    src = tmp_path / "m.parquet"
    pq.write_table(pa.table({"Headline": ["x"], "When": ["2020/05/06"], "Place": ["KEN;ETH"]}),
                   src)
    m = tmp_path / "m.toml"
    m.write_text('[columns]\ntitle = "Headline"\npublished = "When"\ncountries = "Place"\n'
                 '[dates]\nformat = "%Y/%m/%d"\n[countries]\nsystem = "iso3"\n')
    db = tmp_path / "t.duckdb"
    run_import([src], db, options=ReadOptions(mapping=mapping.load(m), mapping_path=m))
    assert _rows(db, "SELECT title, day::VARCHAR FROM articles") == [("x", "2020-05-06")]
    assert sorted(r[0] for r in _rows(db, "SELECT country FROM article_countries")) == ["ET", "KE"]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"a,b\n1,2\n", 2),
        (b"a,b\r\n1,2\r\n3,4", 3),
        (b'a,b\n"x ""y""",2\n', 2),
        (b'a,b\n"two\nlines",2\n', None),
        (b"a,b\n\n1,2\n", None),
        (b"a,b\r\n\r\n1,2\r\n", None),
        (b'a,b\n5" screen,2\n', None),
    ],
)
def test_simple_line_count(tmp_path: Path, content: bytes, expected: int | None) -> None:
    from importers.csv_table import simple_line_count

    src = tmp_path / "x.csv"
    src.write_bytes(content)
    assert simple_line_count(src) == expected
    assert simple_line_count(src, block_bytes=3) == expected


def test_fast_and_careful_paths_agree(tmp_path: Path, monkeypatch) -> None:
    import importers.csv_table as csv_table

    src = tmp_path / "simple.csv"
    src.write_text(
        'id,title,published,themes,tone\n'
        's1,"Quoted, with comma",2020-01-01, b ; ;a;b ;,1.5\n'
        's2,,2020-01-02,,\n'
        's3,Bad date,2020-02-30,,\n'
        's4,"He said ""hi""",2020-01-04T10:00:00+01:00,c,x\n'
        's5,Nul \x00 inside,2020-01-05,d,\n'
        's6,Unknown theme id,2020-01-06,e,2\n'
    )
    assert csv_table.simple_line_count(src) == 7

    def load(db: Path) -> tuple:
        result = run_import([src], db, options=ReadOptions(theme="added"))
        rows = _rows(db, "SELECT id, title, published::VARCHAR, tone FROM articles ORDER BY id")
        themes = _rows(db, "SELECT id, theme FROM article_themes JOIN articles USING (aid) "
                           "ORDER BY ALL")
        log = _rows(db, "SELECT records, new, rejected, new_themes FROM imports")
        return rows, themes, [(r.line, r.reason) for r in result.rejects], log

    def not_taken(*args: object) -> None:
        raise AssertionError("the batch path was taken")

    with monkeypatch.context() as patch:  # one query of the staging database
        patch.setattr(csv_table, "_fast_batches", not_taken)
        by_query = load(tmp_path / "query.duckdb")
    with monkeypatch.context() as patch:  # DuckDB's reader, batch by batch
        patch.setattr(csv_table, "_stage_by_query", lambda *args: False)
        fast = load(tmp_path / "fast.duckdb")
    monkeypatch.setattr(csv_table, "simple_line_count", lambda path: None)
    careful = load(tmp_path / "careful.duckdb")
    assert by_query == fast == careful
    assert fast[2] == [(4, '"published" 2020-02-30: no such date'),
                       (5, '"tone" x is not a number'),
                       (6, '"title" holds a NUL character (\\u0000)')]
    assert fast[3] == [(3, 3, 3, 4)]
    assert ("s2", "", "2020-01-02 00:00:00", None) in fast[0]
    # list items are trimmed, empty ones dropped and repeats removed, whichever path read them
    assert [t for i, t in fast[1] if i == "s1"] == ["a", "added", "b"]


def test_gzip_csv_without_a_gz_name(tmp_path: Path) -> None:
    import gzip

    src = tmp_path / "packed.csv"
    src.write_bytes(gzip.compress(b"id,title,published\nz1,Zipped,2020-01-01\nz2,Two,2020-01-02\n"))
    db = tmp_path / "t.duckdb"
    assert run_import([src], db, fmt="csv").new == 2
    assert sorted(_rows(db, "SELECT id, title FROM articles")) == [("z1", "Zipped"), ("z2", "Two")]
