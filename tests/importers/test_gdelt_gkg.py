"""GDELT GKG 2.1 and 1.0 files: fixtures with the nasty cases, and the real sample files."""

from __future__ import annotations

import datetime as dt
import gzip
import zipfile
from collections import Counter
from pathlib import Path

import duckdb
import pytest

from importers import gdelt_gkg
from importers.base import ImportFormatError, ReadOptions
from importers.fips import fips_to_iso2
from store.load import ImportResult, Staging
from store.taxonomy import load_region_map

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "gdelt"
REAL = ROOT.parent / "shared" / "realdata" / "gdelt-gkg"


def _import(
    paths: list[Path], db: Path, options: ReadOptions | None = None
) -> tuple[ImportResult, list[tuple[int, str]]]:
    options = options or ReadOptions()
    with Staging(on_duplicate=gdelt_gkg.ON_DUPLICATE) as st:
        for path in paths:
            file_no = st.begin_file(str(path), gdelt_gkg.FORMAT)
            gdelt_gkg.read(path, st, file_no, options)
        notes = list(st.notes)
        return st.commit(db), notes


def _articles(db: Path) -> dict[str, dict]:
    """Articles by id; `published` is the stored naive UTC timestamp."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.sql(
            """
            SELECT a.id, a.url, a.title, a.source, a.published, a.language, a.tone,
                (SELECT list(theme ORDER BY theme) FROM article_themes t WHERE t.aid = a.aid),
                (SELECT list(country ORDER BY country) FROM article_countries c
                 WHERE c.aid = a.aid)
            FROM articles a
            """
        ).fetchall()
    finally:
        con.close()
    keys = ("id", "url", "title", "source", "published", "language", "tone", "themes",
            "countries")
    return {r[0]: dict(zip(keys, r, strict=True)) for r in rows}


def _known(codes: list[str]) -> list[str]:
    """The ISO codes among `codes` that the store's region map knows, sorted."""
    known = set(load_region_map()["country"].to_list())
    return sorted({c for c in codes if c in known})


# -- detection -----------------------------------------------------------------------------------


def test_sniff_tells_versions_apart() -> None:
    v2 = (FIXTURES / "gkg21_nasty.tsv").read_bytes()
    v1 = (FIXTURES / "gkg10.tsv").read_bytes()
    assert gdelt_gkg.version(v2[:4096]) == "2.1"
    assert gdelt_gkg.version(v1[:4096]) == "1.0"
    assert gdelt_gkg.version(v1.split(b"\n", 1)[1][:4096]) == "1.0"  # without the header
    # a first line longer than the head is judged by its beginning
    assert gdelt_gkg.version(v2[:60]) == "2.1"
    assert gdelt_gkg.sniff(v2[:2048])
    assert not gdelt_gkg.sniff(b"id,title,published\n1,x,2020-01-01\n")
    assert not gdelt_gkg.sniff(b'{"id": "a", "title": "t"}\n')
    assert not gdelt_gkg.sniff(b"a\tb\tc\n1\t2\t3\n")
    assert not gdelt_gkg.sniff(b"")


def test_not_a_gkg_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.tsv"
    path.write_text("hello\tworld\n", encoding="utf-8")
    with Staging() as st, pytest.raises(ImportFormatError, match="not a GDELT GKG file"):
        gdelt_gkg.read(path, st, st.begin_file(str(path), "gdelt-gkg"), ReadOptions())


def test_invalid_utf8_names_file_and_line(tmp_path: Path) -> None:
    lines = (FIXTURES / "gkg21_nasty.tsv").read_bytes().split(b"\n")
    lines[6] = lines[6].replace(b"addis", b"add\xff\xfeis")
    path = tmp_path / "latin.tsv"
    path.write_bytes(b"\n".join(lines))
    with Staging() as st, pytest.raises(ImportFormatError) as info:
        gdelt_gkg.read(path, st, st.begin_file(str(path), "gdelt-gkg"), ReadOptions())
    assert str(info.value) == f"{path}:7: not valid UTF-8 text (GDELT files are UTF-8)"


# -- GKG 2.1 fixture -----------------------------------------------------------------------------


def test_gkg21_fields_rejects_and_line_numbers(tmp_path: Path) -> None:
    path = FIXTURES / "gkg21_nasty.tsv"
    result, notes = _import([path], tmp_path / "db.duckdb")
    rejects = [(r.line, r.reason) for r in result.rejects]
    assert rejects == [
        (3, "expected 27 tab-separated columns (GKG 2.1), found 26"),
        (5, "expected 27 tab-separated columns (GKG 2.1), found more than 27"),
        (6, 'bad DATE "2020031810" (expected YYYYMMDDHHMMSS)'),
    ]
    assert all(r.file == str(path) for r in result.rejects)
    arts = _articles(tmp_path / "db.duckdb")
    assert sorted(arts) == ["20200318104500-0", "20200318104500-1", "20200318104500-T5"]

    # id -0 occurs on lines 1 and 8: the last one wins
    last = arts["20200318104500-0"]
    assert last["title"] == "Corrected title"
    assert last["themes"] == ["EPU_POLICY"]
    assert last["tone"] == -3.0
    assert last["published"] == dt.datetime(2020, 3, 18, 10, 45)

    citation = arts["20200318104500-1"]
    assert citation["url"] is None  # collection 2: DocumentIdentifier is not a URL
    assert citation["source"] == "BBC Monitoring"
    assert citation["title"] == ""
    assert citation["published"] == dt.datetime(2020, 3, 18, 10, 45)
    assert citation["countries"] == _known(["RU", "TW"])
    assert citation["tone"] == 1.5
    assert citation["language"] == "en"

    translated = arts["20200318104500-T5"]
    assert translated["url"] == "https://addis.example/story?id=5&x=1"
    assert translated["themes"] == ["UNGP_FORESTS_RIVERS_OCEANS"]
    assert translated["countries"] == _known(["ET"])
    assert translated["language"] == "am"  # srclc:amh
    assert translated["tone"] is None
    assert any("PG" in text for _, text in notes)  # Spratly Islands: no ISO code, not an error


def test_gkg21_first_record_parsed_in_full(tmp_path: Path) -> None:
    # Only line 1 of the fixture, so `last` does not replace it.
    src = (FIXTURES / "gkg21_nasty.tsv").read_text(encoding="utf-8").split("\n")[0] + "\n"
    path = tmp_path / "one.tsv"
    path.write_text(src, encoding="utf-8")
    _import([path], tmp_path / "db.duckdb")
    art = _articles(tmp_path / "db.duckdb")["20200318104500-0"]
    assert art["url"] == "https://example.com/news/1"
    assert art["source"] == "example.com"
    assert art["title"] == 'Leader says "we will win" & more \u2013 Report'
    assert art["published"] == dt.datetime(2020, 3, 18, 10, 19)  # precise time
    assert art["themes"] == sorted(
        ["TAX_FNCACT", "TAX_FNCACT_PRESIDENT", "EPU_POLICY",
         "WB_621_HEALTH_NUTRITION_AND_POPULATION"]
    )
    assert art["countries"] == _known(["CN", "US"])
    assert art["tone"] == -2.5


def test_crlf_and_blank_lines_keep_physical_line_numbers(tmp_path: Path) -> None:
    text = (FIXTURES / "gkg21_nasty.tsv").read_text(encoding="utf-8")
    path = tmp_path / "crlf.tsv"
    path.write_bytes(("\n" + text).replace("\n", "\r\n").encode("utf-8"))  # one more blank line
    result, _ = _import([path], tmp_path / "db.duckdb")
    assert [r.line for r in result.rejects] == [4, 6, 7]
    assert len(_articles(tmp_path / "db.duckdb")) == 3
    assert _articles(tmp_path / "db.duckdb")["20200318104500-0"]["title"] == "Corrected title"


def test_gzip_compressed_file(tmp_path: Path) -> None:
    path = tmp_path / "20200318104500.gkg.csv.gz"
    path.write_bytes(gzip.compress(b"\n" + (FIXTURES / "gkg21_nasty.tsv").read_bytes()))
    assert gdelt_gkg.sniff(gzip.decompress(path.read_bytes())[:4096])
    result, _ = _import([path], tmp_path / "db.duckdb")
    assert [r.line for r in result.rejects] == [4, 6, 7]
    assert result.new == 3


def test_zip_archive_of_one_file(tmp_path: Path) -> None:
    path = tmp_path / "20200318104500.gkg.csv.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(FIXTURES / "gkg21_nasty.tsv", "20200318104500.gkg.csv")
    result, _ = _import([path], tmp_path / "db.duckdb")
    assert [(r.file, r.line) for r in result.rejects] == [(str(path), n) for n in (3, 5, 6)]
    assert result.new == 3

    two = tmp_path / "two.zip"
    with zipfile.ZipFile(two, "w") as archive:
        archive.writestr("a.gkg.csv", "x")
        archive.writestr("b.gkg.csv", "y")
    with Staging() as st, pytest.raises(ImportFormatError, match="zip archive of 2 files"):
        gdelt_gkg.read(two, st, st.begin_file(str(two), "gdelt-gkg"), ReadOptions())


def test_strict_stops_at_the_first_bad_line(tmp_path: Path) -> None:
    path = FIXTURES / "gkg21_nasty.tsv"
    with Staging() as st:
        gdelt_gkg.read(path, st, st.begin_file(str(path), "gdelt-gkg"), ReadOptions(strict=True))
        assert [r.line for r in st.all_rejects()] == [3]


def test_reimport_is_idempotent(tmp_path: Path) -> None:
    db = tmp_path / "db.duckdb"
    first, _ = _import([FIXTURES / "gkg21_nasty.tsv"], db)
    again, _ = _import([FIXTURES / "gkg21_nasty.tsv"], db)
    assert first.new == 3
    assert (again.new, again.updated, again.unchanged) == (0, 0, 3)


def test_theme_mapping_exact_prefix_and_drop(tmp_path: Path) -> None:
    mapping = {
        "gdelt": {
            "unmapped": "drop",
            "themes": {
                "EPU_POLICY": "economic-policy",
                "TAX_FNCACT*": ["leaders", "people"],
                "TAX_FNCACT_PRESIDENT": "heads-of-state",
            },
        }
    }
    src = (FIXTURES / "gkg21_nasty.tsv").read_text(encoding="utf-8").split("\n")[0] + "\n"
    path = tmp_path / "one.tsv"
    path.write_text(src, encoding="utf-8")
    _import([path], tmp_path / "db.duckdb", ReadOptions(mapping=mapping))
    art = _articles(tmp_path / "db.duckdb")["20200318104500-0"]
    assert art["themes"] == ["economic-policy", "heads-of-state", "leaders", "people"]

    keep = {"gdelt": {"themes": {"EPU_POLICY": "economic-policy"}}}
    _import([path], tmp_path / "keep.duckdb", ReadOptions(mapping=keep))
    kept = _articles(tmp_path / "keep.duckdb")["20200318104500-0"]["themes"]
    assert "economic-policy" in kept and "TAX_FNCACT" in kept and "EPU_POLICY" not in kept


@pytest.mark.parametrize(
    "mapping, message",
    [
        ({"columns": {}}, r"needs a \[gdelt.themes\] table"),
        ({"gdelt": {"themes": {"A": 3}}}, "must map to a theme id"),
        ({"gdelt": {"themes": {"A*B": "x"}}}, "only at the end"),
        ({"gdelt": {"unmapped": "maybe", "themes": {}}}, '"keep" or "drop"'),
    ],
)
def test_bad_mapping_is_a_clear_error(mapping: dict, message: str, tmp_path: Path) -> None:
    path = FIXTURES / "gkg21_nasty.tsv"
    opts = ReadOptions(mapping=mapping, mapping_path=tmp_path / "map.toml")
    with Staging() as st, pytest.raises(ImportFormatError, match=message):
        gdelt_gkg.read(path, st, st.begin_file(str(path), "gdelt-gkg"), opts)


def test_theme_option_adds_a_theme(tmp_path: Path) -> None:
    _import([FIXTURES / "gkg21_nasty.tsv"], tmp_path / "db.duckdb",
            ReadOptions(theme="watchlist"))
    for art in _articles(tmp_path / "db.duckdb").values():
        assert "watchlist" in art["themes"]


# -- GKG 1.0 fixture -----------------------------------------------------------------------------


def test_gkg10_header_udiv_and_derived_ids(tmp_path: Path) -> None:
    result, _ = _import([FIXTURES / "gkg10.tsv"], tmp_path / "db.duckdb")
    assert [(r.line, r.reason) for r in result.rejects] == [
        (4, "expected 11 tab-separated columns (GKG 1.0), found 3"),
        (5, 'bad DATE "2020-07-05" (expected YYYYMMDD)'),
    ]
    arts = sorted(_articles(tmp_path / "db.duckdb").values(), key=lambda a: a["id"])
    assert len(arts) == 2
    no_url, with_url = arts  # 'gkg1-…' sorts before 'url-…'
    assert with_url["id"].startswith("url-")
    assert with_url["url"] == "https://a.example/one"
    assert with_url["source"] == "a.example"
    assert with_url["themes"] == ["LEADER", "TAX_FNCACT"]
    assert with_url["countries"] == _known(["CN", "US"])
    assert with_url["tone"] == -1.9
    assert with_url["published"] == dt.datetime(2020, 7, 5)
    assert no_url["id"].startswith("gkg1-") and no_url["url"] is None
    assert no_url["countries"] == _known(["TW"])
    # the derived id is stable: a second import changes nothing
    again, _ = _import([FIXTURES / "gkg10.tsv"], tmp_path / "db.duckdb")
    assert (again.new, again.unchanged) == (0, 2)


# -- the real files ------------------------------------------------------------------------------


def _real(name: str) -> Path:
    path = REAL / name
    if not path.exists():
        pytest.skip(f"real GDELT sample {path} not present (it lives beside the project)")
    return path


def _independent_counts(path: Path) -> tuple[int, Counter, Counter]:
    """Articles, articles per theme and per country, by splitting the raw fields in Python."""
    known = set(load_region_map()["country"].to_list())
    themes: Counter = Counter()
    countries: Counter = Counter()
    ids = set()
    for raw in path.read_text(encoding="utf-8").splitlines():
        cols = raw.split("\t")
        assert len(cols) == 27
        ids.add(cols[0])
        v1 = {t for t in cols[7].split(";") if t}
        v2 = {t.split(",")[0] for t in cols[8].split(";") if t}
        themes.update(v1 | v2)
        codes = {loc.split("#")[2] for loc in (cols[9] + ";" + cols[10]).split(";") if loc}
        iso = {fips_to_iso2(c) for c in codes if c}
        countries.update(c for c in iso if c in known)
    return len(ids), themes, countries


def test_real_gkg21_counts_match_an_independent_count(tmp_path: Path) -> None:
    path = _real("gkg.csv")
    db = tmp_path / "db.duckdb"
    result, _ = _import([path], db)
    n, themes, countries = _independent_counts(path)
    assert n == 100 and result.new == 100 and result.rejected == 0
    con = duckdb.connect(str(db), read_only=True)
    try:
        got_themes = dict(con.sql(
            "SELECT theme, count(DISTINCT aid) FROM article_themes GROUP BY theme").fetchall())
        got_countries = dict(con.sql(
            "SELECT country, count(DISTINCT aid) FROM article_countries GROUP BY country"
        ).fetchall())
        assert con.sql("SELECT count(*) FROM articles").fetchall()[0][0] == 100
    finally:
        con.close()
    assert got_themes == dict(themes)
    assert got_countries == dict(countries)
    assert max(len(t) for t in themes) <= 200

    arts = _articles(db)
    oil = arts["20200318104500-0"] if "20200318104500-0" in arts else None
    assert oil is not None
    titled = [a for a in arts.values() if a["title"]]
    assert len(titled) == 50  # the 2020 half carries <PAGE_TITLE>
    assert any(a["title"] == "Global oil, gas producers slash spending after crude price rout"
               and a["published"] == dt.datetime(2020, 3, 18, 10, 19)
               for a in titled)


def test_real_gkg21_translated_imports(tmp_path: Path) -> None:
    result, _ = _import([_real("gkgT.csv")], tmp_path / "db.duckdb")
    assert (result.new, result.rejected) == (100, 0)
    arts = _articles(tmp_path / "db.duckdb")
    assert all("-T" in key for key in arts)
    assert Counter(a["language"] for a in arts.values())["cs"] > 0


def test_real_gkg10_imports(tmp_path: Path) -> None:
    result, _ = _import([_real("gkg1.csv")], tmp_path / "db.duckdb")
    assert result.rejected == 0
    assert result.new == 95
    arts = _articles(tmp_path / "db.duckdb").values()
    with_url = [a for a in arts if a["url"] is not None]
    assert all(a["url"].startswith("http") and "<UDIV>" not in a["url"] for a in with_url)
    # line 79 cites "BBC Monitoring" instead of a URL: no url, an id of its own
    cited = [a for a in arts if a["url"] is None]
    assert [a["source"] for a in cited] == ["BBC Monitoring"]
    assert cited[0]["id"].startswith("gkg1-")


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
@pytest.mark.parametrize("chunk_size", [1, 2, 3, 7, 1 << 20])
def test_blank_line_scan_across_chunk_edges(newline: str, chunk_size: int, tmp_path: Path) -> None:
    lines = ["", "a", "", "", "b\tc", "x" * 5, "", "d", ""]
    path = tmp_path / "blanks.tsv"
    path.write_bytes(newline.join(lines).encode("utf-8") + newline.encode())
    expected = [i for i, text in enumerate(lines, start=1) if text == ""]
    assert gdelt_gkg._blank_lines(path, chunk_size) == expected


# -- through the command line --------------------------------------------------------------------


def _cli(*args: str) -> tuple[int, str, str]:
    from click.testing import CliRunner

    from tui.cli import main

    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_cli_import_detects_gkg_and_reports_rejects_and_notes(tmp_path: Path) -> None:
    mapping = tmp_path / "gkg-themes.toml"
    mapping.write_text('[gdelt.themes]\nEPU_POLICY = "economic-policy"\n', encoding="utf-8")
    db = tmp_path / "db.duckdb"
    path = FIXTURES / "gkg21_nasty.tsv"
    code, out, err = _cli("import", str(path), "--mapping", str(mapping), "--db", str(db))
    assert code == 0, err
    assert out.strip().splitlines()[-1].startswith("3 new, 0 updated, 0 unchanged, 3 rejected")
    assert f"{path}:3: expected 27 tab-separated columns (GKG 2.1), found 26" in err
    assert "note:" in err and "OS ×1" in err
    assert _articles(db)["20200318104500-0"]["themes"] == ["economic-policy"]


def test_cli_strict_refuses_and_writes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "db.duckdb"
    code, _, err = _cli("import", str(FIXTURES / "gkg21_nasty.tsv"), "--strict", "--db", str(db))
    assert code == 1
    assert "gkg21_nasty.tsv:3:" in err and "nothing was written" in err
    if db.exists():
        assert _articles(db) == {}


def test_cli_real_gkg_by_content(tmp_path: Path) -> None:
    code, out, err = _cli("import", str(_real("gkg.csv")), "--db", str(tmp_path / "db.duckdb"))
    assert code == 0, err
    assert out.strip().splitlines()[-1].startswith("100 new, 0 updated, 0 unchanged, 0 rejected")
