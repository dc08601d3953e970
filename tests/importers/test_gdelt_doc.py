"""GDELT DOC article lists: folder themes, FIPS countries, URL-comma repair, the real folders."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import re
from pathlib import Path

import duckdb
import pytest

from importers import gdelt_doc
from importers.base import ImportFormatError, ReadOptions
from store.load import ImportResult, Staging
from store.taxonomy import load_region_map

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "tests" / "fixtures" / "gdelt" / "doc"
REAL = ROOT.parent / "shared" / "realdata" / "gdelt-doc"
UF = DOC / "united-front" / "2019_part0.csv"


def _import(
    paths: list[Path], db: Path, options: ReadOptions | None = None
) -> tuple[ImportResult, list[tuple[int, str]]]:
    options = options or ReadOptions()
    with Staging(on_duplicate=gdelt_doc.ON_DUPLICATE) as st:
        for path in paths:
            gdelt_doc.read(path, st, st.begin_file(str(path), gdelt_doc.FORMAT), options)
        notes = list(st.notes)
        return st.commit(db), notes


def _articles(db: Path) -> dict[str, dict]:
    """Articles by url; `published` is the stored naive UTC timestamp."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.sql(
            """
            SELECT a.url, a.id, a.title, a.source, a.published, a.source_country, a.language,
                (SELECT list(theme ORDER BY theme) FROM article_themes t WHERE t.aid = a.aid),
                (SELECT list(country ORDER BY country) FROM article_countries c
                 WHERE c.aid = a.aid)
            FROM articles a
            """
        ).fetchall()
    finally:
        con.close()
    keys = ("url", "id", "title", "source", "published", "source_country", "language",
            "themes", "countries")
    return {r[0]: dict(zip(keys, r, strict=True)) for r in rows}


def _known(codes: list[str]) -> list[str]:
    known = set(load_region_map()["country"].to_list())
    return sorted({c for c in codes if c in known})


def _known_one(code: str) -> str | None:
    return code if _known([code]) else None


# -- detection and layout ------------------------------------------------------------------------


def test_sniff() -> None:
    assert gdelt_doc.sniff(UF.read_bytes()[:2048])
    assert gdelt_doc.sniff(b"\xef\xbb\xbf" + UF.read_bytes()[:100])
    assert gdelt_doc.sniff((DOC / "united-front" / "2019_part1.csv").read_bytes())
    assert not gdelt_doc.sniff(b"id,title,published\n")
    assert not gdelt_doc.sniff(b"20200318104500-0\t20200318104500\t1\n")
    assert not gdelt_doc.sniff(b"")


def test_repair_only_when_one_split_fits() -> None:
    layout = gdelt_doc._layout(list(gdelt_doc.HEADER), Path("x.csv"))
    head = ["US", "CH", "US", "2019", "1", "2", "d.example"]
    tail = ["English", "q"]
    fixed = gdelt_doc.repair(
        head + ["T", "https://d.example/a", "b", "https://img.example/x.jpg"] + tail, layout
    )
    assert fixed == head + ["T", "https://d.example/a,b", "https://img.example/x.jpg"] + tail
    fixed = gdelt_doc.repair(head + ["T", "http://d.example/(1", "2)", ""] + tail, layout)
    assert fixed == head + ["T", "http://d.example/(1,2)", ""] + tail
    ambiguous = head + ["T", "https://a.example", "https://b.example", "https://c.example"]
    assert gdelt_doc.repair(ambiguous + tail, layout) is None
    assert gdelt_doc.repair(head + ["T", "no-url", "x", ""] + tail, layout) is None


# -- the fixture folders -------------------------------------------------------------------------


def test_fixture_file_repairs_rejects_and_fields(tmp_path: Path) -> None:
    db = tmp_path / "db.duckdb"
    result, notes = _import([UF], db)
    assert [(r.line, r.reason.split(" (")[0]) for r in result.rejects] == [
        (8, "13 fields where the header has 12"),
        (9, "8 fields where the header has 12"),
        (10, "bad date year='2019' month='13' day='40'"),
    ]
    arts = _articles(db)
    assert len(arts) == 6 and result.new == 6

    # lines 2 and 3: one URL (host case, trailing slash) under two country pairs → one article
    plain = arts["https://example.com/a/1"]
    assert plain["countries"] == _known(["US", "CN", "TW"])
    assert plain["themes"] == ["united-front"]
    assert plain["source"] == "example.com"
    assert plain["published"] == dt.datetime(2019, 3, 14)
    assert plain["language"] == "en"
    assert plain["source_country"] == _known_one("US")

    chinese = arts["http://www.qdaily.com/articles/40347.html"]
    assert chinese["title"].startswith("爱吃鱼的中国人")
    assert chinese["language"] == "zh"
    assert chinese["countries"] == _known(["CN"])  # OS (oceans) has no ISO code
    assert chinese["source_country"] == _known_one("CN")  # FIPS CH is China

    # repaired lines: commas inside the URL, inside the image URL, inside parentheses
    assert "https://wn.com/UN_accuses_Saudi,_UAE_of_funding" in arts
    quoted = arts["https://www.newyorker.com/magazine/2018/01/01/the-dark-bounty-of-texas-oil"]
    assert quoted["title"] == 'The "Dark" Bounty, of Texas Oil'
    turkish = arts["http://www.haberx.com/canda_hava(17,n,12751934,408).aspx"]
    assert turkish["language"] == "tr"
    assert turkish["title"] == "Çan  da hava kirliliği paneli"

    klingon = arts["https://klingon.example/k"]
    assert klingon["language"] == "Klingonese"  # unknown names are kept
    assert klingon["source_country"] == _known_one("TW")

    text = " ".join(n for _, n in notes)
    assert "3 lines split by unquoted commas" in text and "lines 5, 6, 7" in text
    assert "OS" in text


def test_header_only_file_is_fine(tmp_path: Path) -> None:
    result, _ = _import([DOC / "united-front" / "2019_part1.csv"], tmp_path / "db.duckdb")
    assert (result.new, result.rejected) == (0, 0)


def test_same_url_in_two_folders_unions_themes_and_countries(tmp_path: Path) -> None:
    paths = sorted(DOC.rglob("*.csv"))
    result, _ = _import(paths, tmp_path / "db.duckdb")
    arts = _articles(tmp_path / "db.duckdb")
    assert len(arts) == 7 and result.new == 7
    shared = arts["https://example.com/a/1"]
    assert shared["themes"] == ["confucius-institutes", "united-front"]
    assert shared["countries"] == _known(["US", "CN", "TW", "ET"])
    assert arts["https://addis.example/ci"]["themes"] == ["confucius-institutes"]


def test_theme_option_and_mapping(tmp_path: Path) -> None:
    _import([UF], tmp_path / "a.duckdb", ReadOptions(theme="influence"))
    assert {tuple(a["themes"]) for a in _articles(tmp_path / "a.duckdb").values()} == {
        ("influence",)
    }
    mapping = {"gdelt": {"themes": {"united-*": ["united-front-work", "china"]}}}
    _import([UF], tmp_path / "b.duckdb", ReadOptions(mapping=mapping))
    assert {tuple(a["themes"]) for a in _articles(tmp_path / "b.duckdb").values()} == {
        ("china", "united-front-work")
    }


def test_gzip_compressed_list(tmp_path: Path) -> None:
    folder = tmp_path / "united-front"
    folder.mkdir()
    path = folder / "2019_part0.csv.gz"
    path.write_bytes(gzip.compress(UF.read_bytes()))
    result, _ = _import([path], tmp_path / "db.duckdb")
    assert (result.new, [r.line for r in result.rejects]) == (6, [8, 9, 10])


def test_strict_stops_at_the_first_bad_line(tmp_path: Path) -> None:
    with Staging(on_duplicate="union") as st:
        gdelt_doc.read(UF, st, st.begin_file(str(UF), "gdelt-doc"), ReadOptions(strict=True))
        assert [r.line for r in st.all_rejects()] == [8]


def test_strict_reports_a_bad_date_before_later_bad_lines(tmp_path: Path) -> None:
    folder = tmp_path / "topic"
    folder.mkdir()
    path = folder / "x.csv"
    path.write_text(
        ",".join(gdelt_doc.HEADER) + "\n"
        "US,CH,US,2019,2,30,a.example,t,https://a.example/1,,English,q\n"
        "US,CH,US,2019,1,2,b.example,short\n",
        encoding="utf-8",
    )
    with Staging(on_duplicate="union") as st:
        gdelt_doc.read(path, st, st.begin_file(str(path), "gdelt-doc"), ReadOptions(strict=True))
        assert [(r.line, r.reason) for r in st.all_rejects()] == [
            (2, "bad date year='2019' month='2' day='30'")
        ]


def test_reimport_is_idempotent(tmp_path: Path) -> None:
    db = tmp_path / "db.duckdb"
    _import([UF], db)
    again, _ = _import([UF], db)
    assert (again.new, again.updated, again.unchanged) == (0, 0, 6)


def test_multiline_quoted_title_keeps_physical_lines(tmp_path: Path) -> None:
    folder = tmp_path / "topic"
    folder.mkdir()
    path = folder / "x.csv"
    path.write_text(
        ",".join(gdelt_doc.HEADER) + "\n"
        'US,CH,US,2019,1,2,a.example,"two\nlines",https://a.example/1,,English,q\n'
        "US,CH,US,2019,1,2,b.example,short\n",
        encoding="utf-8",
    )
    result, _ = _import([path], tmp_path / "db.duckdb")
    assert [r.line for r in result.rejects] == [4]
    assert _articles(tmp_path / "db.duckdb")["https://a.example/1"]["themes"] == ["topic"]


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "empty file"),
        (b"country1,country2,year\n", "header lacks"),
        (b",".join(h.encode() for h in gdelt_doc.HEADER) + b"\nUS,CH,US,2019,1,2,\xff\xfe,t,u\n",
         ":2: not UTF-8"),
    ],
)
def test_unreadable_files_are_clear_errors(content: bytes, message: str, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with Staging() as st, pytest.raises(ImportFormatError, match=message) as info:
        gdelt_doc.read(path, st, st.begin_file(str(path), "gdelt-doc"), ReadOptions())
    assert str(path) in str(info.value)


# -- the real folders ----------------------------------------------------------------------------


def _normalised(url: str) -> str:
    """The store's URL normalisation for ids: lower-case scheme and host, no fragment or '/' end."""
    m = re.match(r"^([a-zA-Z][a-zA-Z0-9+.-]*://[^/?#]*)(.*)$", url)
    url = m.group(1).lower() + m.group(2) if m else url
    return re.sub(r"/+$", "", re.sub(r"#.*$", "", url))


def _distinct_urls(folder: Path) -> set[str]:
    """Distinct URLs of a folder, read with the csv module; broken rows: the URL runs up to the
    next field that starts a new http(s) address, or else up to the last three fields."""
    urls = set()
    for path in sorted(folder.glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh))[1:]
        for row in rows:
            if not row:
                continue
            if len(row) == 12:
                urls.add(_normalised(row[8]))
                continue
            rest = row[8:-2]
            end = next((i for i in range(1, len(rest)) if rest[i].startswith("http")),
                       len(rest) - 1)
            urls.add(_normalised(",".join(rest[:end])))
    return urls


@pytest.mark.parametrize("topic", ["migration", "contaminated", "coralBleaching"])
def test_real_folder_one_article_per_url_with_topic_theme(topic: str, tmp_path: Path) -> None:
    folder = REAL / topic
    if not folder.is_dir():
        pytest.skip(f"real GDELT DOC sample {folder} not present (it lives beside the project)")
    paths = sorted(folder.glob("*.csv"))
    db = tmp_path / "db.duckdb"
    result, _ = _import(paths, db)
    expected = _distinct_urls(folder)
    assert result.rejected == 0
    assert result.new == len(expected)
    con = duckdb.connect(str(db), read_only=True)
    try:
        themes = con.sql("SELECT theme, count(*) FROM article_themes GROUP BY ALL").fetchall()
        urls = {_normalised(u) for (u,) in con.sql("SELECT url FROM articles").fetchall()}
        langs = dict(con.sql("SELECT language, count(*) FROM articles GROUP BY ALL").fetchall())
    finally:
        con.close()
    assert themes == [(topic, len(expected))]
    assert urls == expected
    assert "en" in langs and "English" not in langs


# -- through the command line --------------------------------------------------------------------


def _cli(*args: str) -> tuple[int, str, str]:
    from click.testing import CliRunner

    from tui.cli import main

    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_cli_import_of_a_folder_of_lists(tmp_path: Path) -> None:
    db = tmp_path / "db.duckdb"
    code, out, err = _cli("import", str(DOC), "--db", str(db))
    assert code == 0, err
    assert out.strip().splitlines()[-1].startswith("7 new, 0 updated, 0 unchanged, 3 rejected")
    assert f"{UF}:8: 13 fields where the header has 12" in err
    assert "3 lines split by unquoted commas in URLs were repaired (lines 5, 6, 7)" in err
    assert _articles(db)["https://example.com/a/1"]["themes"] == [
        "confucius-institutes", "united-front"
    ]
    code, out, _ = _cli("import", str(DOC), "--db", str(db))
    assert out.strip().splitlines()[-1].startswith("0 new, 0 updated, 7 unchanged")


def test_cli_theme_option(tmp_path: Path) -> None:
    db = tmp_path / "db.duckdb"
    code, _, err = _cli("import", str(UF), "--format", "gdelt-doc", "--theme", "influence",
                        "--db", str(db))
    assert code == 0, err
    assert {tuple(a["themes"]) for a in _articles(db).values()} == {("influence",)}


def test_cli_real_folder_by_content(tmp_path: Path) -> None:
    folder = REAL / "coralBleaching"
    if not folder.is_dir():
        pytest.skip(f"real GDELT DOC sample {folder} not present (it lives beside the project)")
    code, out, err = _cli("import", str(folder), "--db", str(tmp_path / "db.duckdb"))
    assert code == 0, err
    expected = len(_distinct_urls(folder))
    assert out.strip().splitlines()[-1].startswith(f"{expected} new, 0 updated, 0 unchanged")
