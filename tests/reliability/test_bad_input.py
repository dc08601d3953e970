"""Bad input, table-driven: malformed files of every format through the real command line.

For every case: without --strict the good records land, every bad one is reported as
`file:line: reason` on stderr and in the rejects table (`info --rejects`), exit 0; a file that
cannot be read as a whole exits 1 naming it (and its line when it has one) and writes nothing.
With --strict every case exits 1 with a message naming the file (and line) and the database file
is byte for byte what it was. Never a traceback. One more test imports a 200 MB line and a 100 MB
unclosed quote in a subprocess and bounds the importer's peak memory.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import random
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner, Result
from reliability_helpers import broken_invariants

import importers.run
from tui.cli import main

MB = 1024 * 1024

# -- building the files -------------------------------------------------------------------------

GOOD = '{"id":"good-1","title":"Good","published":"2020-01-01","countries":["KE"]}\n'
CSV_HEAD = "id,title,published\n"
CSV_GOOD = "c-good,Good,2020-01-01\n"
TSV_HEAD = "id\ttitle\tpublished\n"
DOC_HEAD = ("country1,country2,sourceCountry,year,month,day,domain,title,url,social_image,"
            "language,query\n")


def rec(**fields: object) -> str:
    """One JSON line; `id`, `title` and `published` have good defaults (None leaves one out)."""
    base: dict[str, object] = {"id": "bad", "title": "T", "published": "2020-01-01"}
    base.update(fields)
    return json.dumps({k: v for k, v in base.items() if v is not None}) + "\n"


def gkg21(rid: str = "20200318104500-1", date: str = "20200318104500", themes: str = "EPU;",
          ncols: int = 27, title: str = "T") -> str:
    f = [""] * 27
    f[0], f[1], f[2], f[3], f[4] = rid, date, "1", "example.com", f"https://example.com/{rid}"
    f[7], f[15], f[26] = themes, "-1.5,1,2", f"<PAGE_TITLE>{title}</PAGE_TITLE>"
    f = f[:ncols] + ["x"] * (ncols - 27)
    return "\t".join(f) + "\n"


def gkg10(date: str = "20200705", ncols: int = 11, url: str = "https://a.example/1") -> str:
    f = [date, "1", "", "LEADER;", "1#China#CH#CH#35#105#CH", "", "", "-1,2,3", "", "a.example",
         url]
    f = f[:ncols] + ["x"] * (ncols - 11)
    return "\t".join(f) + "\n"


def doc(m: str = "3", d: str = "14", title: str = "Plain", url: str = "https://example.com/1",
        domain: str = "example.com") -> str:
    return f"US,CH,US,2019,{m},{d},{domain},{title},{url},,English,q\n"


def garbage(n: int = 4000) -> bytes:
    """Random bytes that start with one that can never begin UTF-8."""
    return b"\xff" + random.Random(6).randbytes(n)


def parquet_bytes(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


GOOD_PARQUET = {"id": ["p-good"], "title": ["Good"], "published": ["2020-01-01"]}


def gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def gz_corrupt(data: bytes) -> bytes:
    """`data` compressed, with 100 bytes of the stream past its first 2 kB flipped."""
    packed = bytearray(gz(data))
    assert len(packed) > 2200
    for i in range(2048, 2148):
        packed[i] ^= 0x55
    return bytes(packed)


def noise(i: int) -> str:
    return random.Random(i).randbytes(40).hex()


# Files that compress poorly, so that cutting or corrupting their gzip stream hits the records
def _noisy_csv(sep: str) -> bytes:
    return (CSV_HEAD.replace(",", sep)
            + "".join(f"z{i}{sep}{noise(i)}{sep}2020-01-01\n" for i in range(2000))).encode()


def _noisy_gkg() -> bytes:
    return "".join(gkg21(f"20200318104500-{i}", title=noise(i)) for i in range(2000)).encode()


def _noisy_doc() -> bytes:
    return (DOC_HEAD + "".join(doc(title=noise(i), url=f"https://example.com/{i}")
                               for i in range(2000))).encode()


Content = bytes | Callable[[Path], None]


@dataclass(frozen=True)
class Case:
    """One malformed input: what to write, and what an import of it must do."""

    id: str
    name: str  # file (or folder) name
    content: Content  # the bytes, or a function building the path
    fmt: str = "auto"
    good: int = 0  # records that land without --strict
    rejects: tuple[tuple[int, str], ...] = ()  # (line, part of the reason), in line order
    whole: str | None = None  # the file fails as a whole: part of the message (exit 1)
    whole_line: int | None = None  # ... and the line it names


def _folder_without_importable(path: Path) -> None:
    path.mkdir()
    (path / "notes.txt").write_text("Just some prose without a single separator\n")
    (path / ".hidden.jsonl").write_text(GOOD)
    (path / "sub").mkdir()
    (path / "sub" / "blank.csv").write_text("")


CASES = [
    # JSON Lines
    Case("jsonl-truncated", "t.jsonl", (GOOD + '{"id":"t","title":"T').encode(), good=1,
         rejects=((2, "invalid JSON (Unterminated string"),)),
    Case("jsonl-title-is-a-list", "t.jsonl", (GOOD + rec(title=["a"])).encode(), good=1,
         rejects=((2, '"title" must be a string, not a list'),)),
    Case("jsonl-tone-is-text", "t.jsonl", (GOOD + rec(tone="very")).encode(), good=1,
         rejects=((2, '"tone" must be a number, not a string'),)),
    Case("jsonl-published-is-a-number", "t.jsonl", (GOOD + rec(published=20200101)).encode(),
         good=1, rejects=((2, '"published" must be a string'),)),
    Case("jsonl-february-30", "t.jsonl", (GOOD + rec(published="2021-02-30")).encode(), good=1,
         rejects=((2, "'2021-02-30': no such date"),)),
    Case("jsonl-unparseable-date", "t.jsonl", (GOOD + rec(published="yesterday")).encode(),
         good=1, rejects=((2, "'yesterday' is not a date or ISO-8601 timestamp"),)),
    Case("jsonl-missing-title", "t.jsonl", (GOOD + rec(title=None)).encode(), good=1,
         rejects=((2, 'missing required field "title"'),)),
    Case("jsonl-missing-published", "t.jsonl", (rec(published=None) + GOOD).encode(), good=1,
         rejects=((1, 'missing required field "published"'),)),
    Case("jsonl-alpha3-country", "t.jsonl", (GOOD + rec(countries=["KE", "KEN"])).encode(),
         good=1, rejects=((2, "country KEN is not an ISO 3166-1 alpha-2 code"),)),
    Case("jsonl-country-name", "t.jsonl", (GOOD + rec(source_country="Kenya")).encode(), good=1,
         rejects=((2, "source_country KENYA is not an ISO 3166-1 alpha-2 code"),)),
    Case("jsonl-themes-not-a-list", "t.jsonl", (GOOD + rec(themes="a;b")).encode(), good=1,
         rejects=((2, '"themes" must be a list of strings, not a string'),)),
    Case("jsonl-not-an-object", "t.jsonl", (GOOD + "[1, 2]\n").encode(), good=1,
         rejects=((2, "not a JSON object but a list"),)),
    Case("jsonl-invalid-utf8", "t.jsonl", GOOD.encode() + b'{"title":"caf\xe9"}\n',
         whole="not UTF-8 text", whole_line=2),
    Case("jsonl-nul-byte", "t.jsonl", (GOOD + '{"id":"n","title":"a\x00b"}\n').encode(), good=1,
         rejects=((2, "invalid JSON (Invalid control character"),)),
    Case("jsonl-nul-escaped", "t.jsonl", (GOOD + rec(title="a\x00b")).encode(), good=1,
         rejects=((2, '"title" holds a NUL character'),)),
    Case("jsonl-binary-garbage", "t.jsonl", GOOD.encode() + garbage(), whole="not UTF-8 text",
         whole_line=2),
    Case("jsonl-50mb-line", "t.jsonl",
         (GOOD + rec(title="x" * (50 * MB)) + rec(id="after")).encode(), good=2,
         rejects=((2, "line longer than 32 MB"),)),
    Case("jsonl-deeply-nested-title", "t.jsonl",
         (GOOD + '{"title":' + "[" * 5000 + "]" * 5000 + ',"published":"2020-01-01"}\n').encode(),
         good=1, rejects=((2, "invalid JSON (nested too deeply)"),)),
    Case("jsonl-deeply-nested-unknown-field", "t.jsonl",
         (GOOD + '{"id":"d","title":"T","published":"2020-01-01","x":' + "[" * 100_000
          + "]" * 100_000 + "}\n").encode(), good=2),
    Case("jsonl-5000-themes", "t.jsonl",
         (GOOD + rec(themes=[f"t{i}" for i in range(5000)])).encode(), good=1,
         rejects=((2, "too many themes (5000 > 1000)"),)),
    # DuckDB's reader quotes this line in its error cut inside a character, and its Python
    # binding then raised UnicodeDecodeError (found by the fuzz test)
    Case("jsonl-error-cut-in-a-character", "t.jsonl", (GOOD + '{"themes": {"00000000\\u001f'
         + "\\r" * 4 + "\\u0080" * 7 + '\\u0800\\ud800\\udc00": "\\u0800"}}\n').encode(),
         good=1, rejects=((2, 'missing required field "title"'),)),
    Case("jsonl-empty", "t.jsonl", b"", fmt="jsonl"),
    Case("jsonl-gzip-truncated", "t.jsonl.gz", gz("".join(
        rec(id=f"z{i}", title=random.Random(i).randbytes(40).hex()) for i in range(2000)
    ).encode())[:30_000], whole="damaged gzip data"),
    # CSV
    Case("csv-extra-field", "t.csv", (CSV_HEAD + CSV_GOOD + "c2,a,2020-01-01,extra\n").encode(),
         good=1, rejects=((3, "4 fields where the header has 3"),)),
    Case("csv-unterminated-quote", "t.csv",
         (CSV_HEAD + CSV_GOOD + 'c2,"never closed,2020-01-01\nc3,x,2020-01-01\n').encode(),
         good=1, rejects=((3, "2 fields where the header has 3"),)),
    Case("csv-february-30", "t.csv", (CSV_HEAD + CSV_GOOD + "c2,a,2021-02-30\n").encode(), good=1,
         rejects=((3, "2021-02-30: no such date"),)),
    Case("csv-unparseable-date", "t.csv", (CSV_HEAD + "c2,a,31/12/2020\n" + CSV_GOOD).encode(),
         good=1, rejects=((2, "31/12/2020 is not a date"),)),
    Case("csv-tone-is-text", "t.csv",
         b"id,title,published,tone\nc1,a,2020-01-01,1.5\nc2,b,2020-01-01,high\n", good=1,
         rejects=((3, '"tone" high is not a number'),)),
    Case("csv-bad-country-codes", "t.csv",
         b"id,title,published,countries,source_country\nc1,a,2020-01-01,KE;FJ,KE\n"
         b"c2,b,2020-01-01,KEN,\nc3,c,2020-01-01,,Kenya\nc4,d,2020-01-01,XX,\n", good=1,
         rejects=((3, "country KEN is not"), (4, "source_country KENYA is not"),
                  (5, "country XX is not"))),
    Case("csv-no-title-column", "t.csv", b"id,headline,published\nc1,a,2020-01-01\n",
         whole="no column for the required field 'title'"),
    Case("csv-header-only", "t.csv", CSV_HEAD.encode()),
    Case("csv-empty", "t.csv", b"", fmt="csv", whole="empty file"),
    Case("csv-latin1", "t.csv", (CSV_HEAD + CSV_GOOD).encode() + "c2,caf\xe9,2020-01-01\n".encode(
        "latin-1"), whole="not UTF-8 text", whole_line=3),
    Case("csv-nul-byte", "t.csv", (CSV_HEAD + CSV_GOOD + "c2,a\x00b,2020-01-01\n").encode(),
         good=1, rejects=((3, '"title" holds a NUL character'),)),
    Case("csv-50mb-field", "t.csv",
         (CSV_HEAD + CSV_GOOD + "c2," + "x" * (50 * MB) + ",2020-01-01\n").encode(),
         whole="a field longer than 32 MB", whole_line=3),
    Case("csv-5000-themes", "t.csv",
         ("id,title,published,themes\nc1,a,2020-01-01,x\nc2,b,2020-01-01,"
          + ";".join(f"t{i}" for i in range(5000)) + "\n").encode(), good=1,
         rejects=((3, "too many themes (5000 > 1000)"),)),
    Case("csv-gzip-truncated", "t.csv.gz", gz(_noisy_csv(","))[:30_000],
         whole="damaged gzip data"),
    Case("csv-gzip-magic-only", "t.csv", b"\x1f\x8b", fmt="csv", whole="damaged gzip data"),
    Case("csv-gzip-trailer-cut", "t.csv", gz((CSV_HEAD + CSV_GOOD).encode())[:-3], fmt="csv",
         whole="damaged gzip data"),
    Case("csv-gzip-corrupt", "t.csv", gz_corrupt(_noisy_csv(",")), fmt="csv",
         whole="damaged gzip data"),
    # TSV
    Case("tsv-missing-field", "t.tsv", (TSV_HEAD + "t1\tok\t2020-01-01\nt2\tx\n").encode(),
         good=1, rejects=((3, "2 fields where the header has 3"),)),
    Case("tsv-unparseable-date", "t.tsv",
         (TSV_HEAD + "t1\tok\t2020-01-01\nt2\tx\tFeb 30 2020\n").encode(), good=1,
         rejects=((3, "Feb 30 2020 is not a date"),)),
    Case("tsv-header-only", "t.tsv", TSV_HEAD.encode()),
    Case("tsv-binary-garbage", "t.tsv", (TSV_HEAD + "t1\tok\t2020-01-01\n").encode() + garbage(),
         fmt="tsv", whole="not UTF-8 text", whole_line=3),
    Case("tsv-gzip-truncated", "t.tsv", gz(_noisy_csv("\t"))[:30_000], fmt="tsv",
         whole="damaged gzip data"),
    # Parquet
    Case("parquet-truncated", "t.parquet",
         parquet_bytes(pa.table(GOOD_PARQUET))[:200], whole="not a readable Parquet file"),
    Case("parquet-garbage-with-magic", "t.parquet", b"PAR1" + garbage(),
         whole="not a readable Parquet file"),
    Case("parquet-published-is-an-integer", "t.parquet",
         parquet_bytes(pa.table({"title": ["a"], "published": [20200101]})),
         whole="column 'published' holds int64"),
    Case("parquet-title-is-a-struct", "t.parquet",
         parquet_bytes(pa.table({"title": [{"a": 1}], "published": ["2020-01-01"]})),
         whole="column 'title' holds struct"),
    Case("parquet-february-30-and-null-title", "t.parquet",
         parquet_bytes(pa.table({"id": ["p1", "p2", "p3"], "title": ["a", "b", None],
                                 "published": ["2020-01-01", "2021-02-30", "2020-01-01"]})),
         good=1, rejects=((2, "2021-02-30: no such date"), (3, 'missing required field "title"'))),
    Case("parquet-no-published-column", "t.parquet", parquet_bytes(pa.table({"title": ["a"]})),
         whole="no column for the required field 'published'"),
    # GDELT GKG 2.1
    Case("gkg21-column-counts", "t.gkg.csv",
         (gkg21() + gkg21("20200318104500-2", ncols=20) + gkg21("20200318104500-3", ncols=30)
          ).encode(), good=1,
         rejects=((2, "expected 27 tab-separated columns (GKG 2.1), found 20"),
                  (3, "expected 27 tab-separated columns (GKG 2.1), found more than 27"))),
    Case("gkg21-bad-dates", "t.gkg.csv",
         (gkg21() + gkg21("20200318104500-2", date="20210230104500")
          + gkg21("20200318104500-3", date="notadate")).encode(), good=1,
         rejects=((2, 'bad DATE "20210230104500"'), (3, 'bad DATE "notadate"'))),
    Case("gkg21-empty-record-id", "t.gkg.csv", (gkg21() + gkg21("")).encode(), good=1,
         rejects=((2, "empty GKGRECORDID"),)),
    Case("gkg21-truncated", "t.gkg.csv", (gkg21() + gkg21("20200318104500-2")[:60]).encode(),
         good=1, rejects=((2, "found 5"),)),
    Case("gkg21-invalid-utf8", "t.gkg.csv",
         gkg21().encode() + gkg21("20200318104500-2").encode().replace(b"<PAGE_TITLE>T",
                                                                          b"<PAGE_TITLE>\xff"),
         whole="not valid UTF-8 text", whole_line=2),
    Case("gkg21-nul-byte", "t.gkg.csv", (gkg21() + gkg21("20200318104500-2", title="a\x00b")
                                          ).encode(), good=1,
         rejects=((2, '"title" holds a NUL character'),)),
    Case("gkg21-5000-themes", "t.gkg.csv",
         (gkg21() + gkg21("20200318104500-2", themes=";".join(f"T{i}" for i in range(5000)))
          ).encode(), good=1, rejects=((2, "too many themes (5000 > 1000)"),)),
    Case("gkg21-40mb-line", "t.gkg.csv",
         (gkg21() + gkg21("20200318104500-2", themes="A" * (40 * MB))).encode(),
         whole="a line longer than 32 MB", whole_line=2),
    # GDELT GKG 1.0
    Case("gkg21-gzip-corrupt", "t.gkg.csv.gz", gz_corrupt(_noisy_gkg()), fmt="gdelt-gkg",
         whole="damaged gzip data"),
    Case("gkg21-gzip-truncated", "t.gkg.csv.gz", gz(_noisy_gkg())[:30_000], fmt="gdelt-gkg",
         whole="damaged gzip data"),
    Case("gkg10-february-30", "t.gkg.csv", (gkg10() + gkg10("20210230", url="https://b.example/2")
                                            ).encode(), good=1,
         rejects=((2, 'bad DATE "20210230"'),)),
    Case("gkg10-column-count", "t.gkg.csv", (gkg10() + gkg10("20200706", ncols=9)).encode(),
         good=1, rejects=((2, "expected 11 tab-separated columns (GKG 1.0), found 9"),)),
    # GDELT DOC 2.0 lists
    Case("doc-too-few-fields", "t.csv", (DOC_HEAD + doc() + "US,CH,US,2019,3\n").encode(),
         good=1, rejects=((3, "5 fields where the header has 12"),)),
    Case("doc-february-30", "t.csv",
         (DOC_HEAD + doc() + doc(m="2", d="30", url="https://example.com/2")).encode(), good=1,
         rejects=((3, "bad date year='2019' month='2' day='30'"),)),
    Case("doc-unrepairable-commas", "t.csv",
         (DOC_HEAD + doc() + doc(title="a,b", url="ftp://example.com/2")).encode(), good=1,
         rejects=((3, "13 fields where the header has 12 (commas outside quotes"),)),
    Case("doc-gzip-corrupt", "t.csv.gz", gz_corrupt(_noisy_doc()), fmt="gdelt-doc",
         whole="damaged gzip data"),
    Case("doc-gzip-truncated", "t.csv.gz", gz(_noisy_doc())[:30_000], fmt="gdelt-doc",
         whole="damaged gzip data"),
    Case("doc-header-only", "t.csv", DOC_HEAD.encode()),
    Case("doc-nul-byte", "t.csv",
         (DOC_HEAD + doc() + doc(title="a\x00b", url="https://example.com/3")).encode(), good=1,
         rejects=((3, "'title' holds a NUL character"),)),
    Case("doc-invalid-utf8", "t.csv",
         (DOC_HEAD + doc()).encode() + doc(url="https://example.com/4").encode().replace(
             b"Plain", b"Pl\xe4in"), whole="not UTF-8 text", whole_line=3),
    # paths
    Case("folder-with-nothing-importable", "folder", _folder_without_importable,
         whole="folder holds no importable files"),
    Case("empty-folder", "folder", lambda p: p.mkdir(), whole="folder holds no importable files"),
    Case("missing-path", "nowhere.jsonl", lambda p: None, whole="no such file or folder"),
    Case("format-not-recognisable", "t.dat", b"just words\nno separators\n",
         whole="cannot tell the format from the content"),
]


# -- running them ---------------------------------------------------------------------------------


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def cli(*args: str) -> Result:
    result = CliRunner().invoke(main, list(args), catch_exceptions=True)
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{type(result.exception).__name__}: {result.exception}"
    )
    assert "Traceback" not in result.output
    return result


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database that already holds articles (copied for each case)."""
    folder = tmp_path_factory.mktemp("seed")
    src = folder / "seed.jsonl"
    src.write_text("".join(
        json.dumps({"id": f"seed-{i}", "title": f"Seed {i}", "published": "2019-05-01",
                    "themes": ["state-media"], "countries": ["FJ"]}) + "\n" for i in range(5)
    ))
    db = folder / "seed.duckdb"
    assert cli("--db", str(db), "import", str(src)).exit_code == 0
    return db


def articles_and_rejects(db: Path) -> tuple[int, int]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.sql("SELECT (SELECT count(*) FROM articles), (SELECT count(*) FROM rejects)"
                       ).fetchall()[0]
    finally:
        con.close()


def build(case: Case, folder: Path) -> Path:
    path = folder / case.name
    if isinstance(case.content, bytes):
        path.write_bytes(case.content)
    else:
        case.content(path)
    return path


def fmt_args(case: Case) -> list[str]:
    return [] if case.fmt == "auto" else ["--format", case.fmt]


def test_the_matrix_covers_every_format_and_at_least_40_inputs() -> None:
    assert len(CASES) >= 40
    assert len({c.id for c in CASES}) == len(CASES)
    prefixes = {c.id.split("-")[0] for c in CASES}
    assert {"jsonl", "csv", "tsv", "parquet", "gkg21", "gkg10", "doc"} <= prefixes


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_strict_refuses_naming_file_and_line_and_writes_nothing(
    case: Case, seeded: Path, tmp_path: Path
) -> None:
    db = tmp_path / "db.duckdb"
    shutil.copy(seeded, db)
    before = sha256(db)
    path = build(case, tmp_path)
    result = cli("--db", str(db), "import", str(path), "--strict", *fmt_args(case))
    if not case.rejects and case.whole is None:  # nothing bad in it: a clean (empty) import
        assert result.exit_code == 0, result.output
        return
    assert result.exit_code == 1, result.output
    assert "nothing was written" in result.stderr
    if case.whole is not None:
        where = f"{path}:{case.whole_line}:" if case.whole_line else f"{path}"
        assert where in result.stderr and case.whole in result.stderr, result.stderr
    else:
        line, reason = case.rejects[0]
        assert f"{path}:{line}: " in result.stderr and reason in result.stderr, result.stderr
        assert "--strict" in result.stderr
    assert sha256(db) == before
    assert not Path(f"{db}.wal").exists()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_default_lands_the_good_records_and_reports_every_bad_one(
    case: Case, seeded: Path, tmp_path: Path
) -> None:
    db = tmp_path / "db.duckdb"
    shutil.copy(seeded, db)
    before = sha256(db)
    articles, rejects = articles_and_rejects(db)
    path = build(case, tmp_path)
    result = cli("--db", str(db), "import", str(path), *fmt_args(case))
    if case.whole is not None:
        assert result.exit_code == 1, result.output
        where = f"{path}:{case.whole_line}:" if case.whole_line else f"{path}"
        assert where in result.stderr and case.whole in result.stderr, result.stderr
        assert "nothing was written" in result.stderr
        assert sha256(db) == before
        return
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().startswith(f"{case.good} new, 0 updated, 0 unchanged, "
                                            f"{len(case.rejects)} rejected"), result.stdout
    reported = [ln for ln in result.stderr.splitlines() if ln.startswith(f"{path}:")]
    assert len(reported) == len(case.rejects), result.stderr
    for shown, (line, reason) in zip(reported, case.rejects, strict=True):
        assert shown.startswith(f"{path}:{line}: ") and reason in shown, shown
    assert articles_and_rejects(db) == (articles + case.good, rejects + len(case.rejects))
    listed = cli("--db", str(db), "info", "--rejects")
    assert listed.exit_code == 0
    for line, reason in case.rejects:
        assert any(ln.startswith(f"{path}:{line}: ") and reason in ln
                   for ln in listed.stdout.splitlines()), listed.stdout
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert broken_invariants(con) == []
    finally:
        con.close()


# -- files that cannot be read --------------------------------------------------------------------


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a file whatever its mode, so chmod 000 "
                    "cannot make it unreadable here")
@pytest.mark.parametrize("strict", [[], ["--strict"]], ids=["default", "strict"])
def test_an_unreadable_file_is_refused_by_name(seeded: Path, tmp_path: Path,
                                               strict: list[str]) -> None:
    db = tmp_path / "db.duckdb"
    shutil.copy(seeded, db)
    before = sha256(db)
    path = tmp_path / "locked.jsonl"
    path.write_text(GOOD)
    path.chmod(0)
    try:
        result = cli("--db", str(db), "import", str(path), *strict)
    finally:
        path.chmod(0o600)
    assert result.exit_code == 1
    assert f"{path}: cannot be read (permission denied)" in result.stderr
    assert sha256(db) == before


@pytest.mark.parametrize("strict", [[], ["--strict"]], ids=["default", "strict"])
def test_a_file_that_vanishes_during_the_import_is_refused_by_name(
    seeded: Path, tmp_path: Path, strict: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file is found and recognised, then removed before it is read (another process)."""
    db = tmp_path / "db.duckdb"
    shutil.copy(seeded, db)
    before = sha256(db)
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.jsonl").write_text(GOOD)
    doomed = folder / "b.jsonl"
    doomed.write_text(rec(id="b"))
    real = importers.run.sha256_of

    def vanish_then_hash(path: Path, block: int = 1 << 20) -> str:
        if path == doomed:
            path.unlink()
        return real(path, block)

    monkeypatch.setattr(importers.run, "sha256_of", vanish_then_hash)
    result = cli("--db", str(db), "import", str(folder), *strict)
    assert result.exit_code == 1, result.output
    assert str(doomed) in result.stderr and "No such file" in result.stderr, result.stderr
    assert "nothing was written" in result.stderr
    assert sha256(db) == before


# -- memory --------------------------------------------------------------------------------------

MEMORY_BOUND_MB = 450  # measured: 293-302 MB (200 MB line), 295-338 MB (open quote), 209 MB (tiny)

_MEASURE = """
import json, resource, subprocess, sys
done = subprocess.run(sys.argv[1:], capture_output=True)
print(json.dumps({"code": done.returncode, "stderr": done.stderr.decode("utf-8", "replace"),
                  "peak_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))
"""


def peak_of_import(db: Path, path: Path, *args: str) -> tuple[int, str, float]:
    """Exit code, stderr and peak RSS (MB) of `softpower-tui import` in a fresh process.

    The import runs as the child of a small Python process that reads RUSAGE_CHILDREN: a child
    forked straight from pytest would carry pytest's own high-water mark into its figure.
    """
    cmd = [sys.executable, "-c", "from tui.cli import main; main(prog_name='softpower-tui')",
           "--db", str(db), "import", str(path), *args]
    out = subprocess.run([sys.executable, "-c", _MEASURE, *cmd], capture_output=True, text=True,
                         check=True, timeout=300)
    report = json.loads(out.stdout)
    return report["code"], report["stderr"], report["peak_kb"] / 1024


def test_memory_stays_bounded_on_a_200mb_line_and_a_100mb_unclosed_quote(
    tmp_path: Path,
) -> None:
    """A 200 MB line of JSON Lines is skipped without being held; a CSV quote that never closes
    over 100 MB fails at the 32 MB field limit. The peak is compared with an import of a small
    file in the same way, and bounded."""
    db = tmp_path / "db.duckdb"
    small = tmp_path / "small.jsonl"
    small.write_text(GOOD)
    code, err, baseline = peak_of_import(db, small)
    assert code == 0, err
    big = tmp_path / "big line.jsonl"
    with big.open("wb") as fh:
        fh.write(rec(id="before").encode())
        fh.write(b'{"id":"huge","title":"')
        chunk = b"x" * MB
        for _ in range(200):
            fh.write(chunk)
        fh.write(b'","published":"2020-01-01"}\n')
        fh.write(rec(id="after").encode())
    code, err, peak_jsonl = peak_of_import(db, big)
    assert code == 0, err
    assert f"{big}:2: line longer than 32 MB" in err
    quote = tmp_path / "open quote.csv"
    with quote.open("wb") as fh:
        fh.write((CSV_HEAD + CSV_GOOD + 'c2,"never closed').encode())
        line = b"y" * 1023 + b"\n"
        for _ in range(100 * 1024):
            fh.write(line)
    code, err, peak_csv = peak_of_import(db, quote)
    assert code == 1 and f"{quote}:3: unreadable CSV: a field longer than 32 MB" in err, err
    assert "Traceback" not in err
    print(f"peak RSS: small import {baseline:.0f} MB, 200 MB line {peak_jsonl:.0f} MB, "
          f"100 MB open quote {peak_csv:.0f} MB")
    assert peak_jsonl < MEMORY_BOUND_MB, (baseline, peak_jsonl)
    assert peak_csv < MEMORY_BOUND_MB, (baseline, peak_csv)
