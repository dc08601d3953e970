"""store.export: the file rules — temp file + rename, --force, formulas, header, stdout, formats."""

from __future__ import annotations

import io
import json
import os
import sys
from datetime import date, datetime
from pathlib import Path

import duckdb
import polars as pl
import pytest

from importers.run import run_import
from store import aggregate
from store.db import reading
from store.export import (
    ExportError,
    ExportExistsError,
    default_filename,
    encode,
    export_view,
    neutralise,
)
from store.viewspec import ViewSpec

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "aggregate" / "corpus.jsonl"
WINTER = ViewSpec(since="2019-12-01", until="2020-03-31")


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("export") / "corpus.duckdb"
    run_import([CORPUS], path)
    return path


@pytest.fixture
def con(db: Path) -> duckdb.DuckDBPyConnection:
    with reading(db) as connection:
        yield connection


def _csv_rows(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def test_default_filename() -> None:
    now = datetime(2024, 1, 31, 17, 5, 2)
    assert default_filename("trends", now) == "softpower-trends-20240131-170502.csv"
    assert default_filename("articles", now, "parquet") == (
        "softpower-articles-20240131-170502.parquet"
    )
    assert default_filename("regions", now, "json") == "softpower-regions-20240131-170502.json"


def test_csv_periods_shares_and_result(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    dest = tmp_path / "t.csv"
    spec = WINTER.replace(themes=("united-front",), metric="share")
    result = export_view(con, spec, dest)
    assert result.path == dest and result.rows == 4
    lines = _csv_rows(dest)
    assert lines[0] == "period,theme,articles,total,share"
    assert lines[1] == "2019-12-01,united-front,1,2,0.5"
    assert lines[3] == "2020-02-01,united-front,1,3,0.3333333333333333"  # unrounded
    assert dest.read_bytes().endswith(b"\n") and b"\r" not in dest.read_bytes()


def test_header_even_without_rows(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    for table, header in (
        ("trends", "period,theme,articles,total,share"),
        ("regions", "theme,region,articles,total,share"),
        ("articles", "id,published,source,title,url,themes,regions"),
        ("cooccurrence", "theme_a,theme_b,articles,jaccard"),
        ("spikes", "period,theme,articles,baseline,z"),
    ):
        dest = tmp_path / f"{table}.csv"
        spec = WINTER.replace(search="no article says this", table=table)
        assert export_view(con, spec, dest).rows == 0
        assert dest.read_text() == header + "\n"
    dest = tmp_path / "empty.json"
    export_view(con, WINTER.replace(search="nothing at all"), dest, fmt="json")
    assert json.loads(dest.read_text()) == []


def test_formulas_neutralised_by_default(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    spec = WINTER.replace(table="articles")
    export_view(con, spec, tmp_path / "safe.csv")
    export_view(con, spec, tmp_path / "raw.csv", sanitize=False)
    safe = pl.read_csv(tmp_path / "safe.csv")
    raw = pl.read_csv(tmp_path / "raw.csv")
    titles = dict(zip(safe["id"], safe["title"], strict=True))
    assert titles["c03"] == "'=HYPERLINK(\"http://evil.example\") Kenya campus"
    assert titles["c08"] == "'-Influence networks in Europe"
    assert titles["c10"] == "'+Censorship bill"
    assert titles["c11"] == "'@elite capture"
    assert titles["c04"] == "Censorship, plain and simple"  # untouched
    raw_titles = dict(zip(raw["id"], raw["title"], strict=True))
    assert raw_titles["c03"] == "=HYPERLINK(\"http://evil.example\") Kenya campus"
    assert raw_titles["c11"] == "@elite capture"
    export_view(con, spec, tmp_path / "safe.json", fmt="json")
    rows = {r["id"]: r for r in json.loads((tmp_path / "safe.json").read_text())}
    assert rows["c10"]["title"] == "'+Censorship bill"


def test_neutralise_covers_every_prefix_and_only_text() -> None:
    frame = pl.DataFrame({
        "text": ["=1+1", "+1", "-1", "@x", "\tx", "\rx", "a=b", " =x", None, "", "'=x"],
        "number": [-1.5] * 11,
    })
    out = neutralise(frame)
    assert out["text"].to_list() == [
        "'=1+1", "'+1", "'-1", "'@x", "'\tx", "'\rx", "a=b", " =x", None, "", "'=x"
    ]
    assert out["number"].to_list() == [-1.5] * 11  # numbers are not formulas


def test_refuses_to_overwrite_without_force(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    dest = tmp_path / "t.csv"
    dest.write_text("precious\n")
    with pytest.raises(ExportExistsError) as info:
        export_view(con, WINTER, dest)
    assert str(info.value) == f"{dest}: file exists; use --force to overwrite it"
    assert dest.read_text() == "precious\n"
    export_view(con, WINTER, dest, force=True)
    assert dest.read_text().startswith("period,theme,")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.csv"]


def test_failed_write_leaves_no_file(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: pl.DataFrame, file: object, **kwargs: object) -> None:
        file.write(b"period,theme\n2020-01")  # type: ignore[attr-defined]
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pl.DataFrame, "write_csv", broken)
    dest = tmp_path / "t.csv"
    with pytest.raises(ExportError) as info:
        export_view(con, WINTER, dest)
    assert "No space left on device" in str(info.value) and str(dest) in str(info.value)
    assert list(tmp_path.iterdir()) == []  # neither the file nor a temp file
    dest.write_text("before\n")
    with pytest.raises(ExportError):
        export_view(con, WINTER, dest, force=True)
    assert dest.read_text() == "before\n"  # the old file survives a failed overwrite
    assert [p.name for p in tmp_path.iterdir()] == ["t.csv"]


def test_interrupted_write_leaves_no_file(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(self: pl.DataFrame, file: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(pl.DataFrame, "write_parquet", interrupted)
    with pytest.raises(KeyboardInterrupt):
        export_view(con, WINTER, tmp_path / "t.parquet", fmt="parquet")
    assert list(tmp_path.iterdir()) == []


def test_bad_destinations(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    with pytest.raises(ExportError) as info:
        export_view(con, WINTER, tmp_path)
    assert "is a folder" in str(info.value)
    with pytest.raises(ExportError) as info:
        export_view(con, WINTER, tmp_path / "missing" / "t.csv")
    assert "no such folder" in str(info.value)
    with pytest.raises(ExportError) as info:
        export_view(con, WINTER, tmp_path / "t.xlsx", fmt="xlsx")
    assert "csv, parquet, json" in str(info.value)


def test_new_file_mode_follows_umask(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        export_view(con, WINTER, tmp_path / "t.csv")
    finally:
        os.umask(old)
    assert (tmp_path / "t.csv").stat().st_mode & 0o777 == 0o644


def test_stdout_gets_the_same_bytes(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Out:
        buffer = io.BytesIO()

    monkeypatch.setattr(sys, "stdout", Out)
    spec = WINTER.replace(table="articles")
    result = export_view(con, spec, "-")
    assert result.path is None and result.rows == 12
    export_view(con, spec, tmp_path / "a.csv")
    assert Out.buffer.getvalue() == (tmp_path / "a.csv").read_bytes()
    assert Out.buffer.getvalue() == encode(aggregate.table(con, spec), "csv")


def test_parquet_keeps_types_and_numbers(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    spec = WINTER.replace(themes=("united-front", "influence-networks"), metric="share",
                          smooth=2, by_region=True)
    expected = aggregate.table(con, spec)
    export_view(con, spec, tmp_path / "t.parquet", fmt="parquet")
    back = pl.read_parquet(tmp_path / "t.parquet")
    assert back.schema["period"] == pl.Date
    assert back.equals(expected)
    articles = WINTER.replace(table="articles")
    export_view(con, articles, tmp_path / "a.parquet", fmt="parquet")
    assert pl.read_parquet(tmp_path / "a.parquet").equals(aggregate.table(con, articles))


def test_json_rows_hold_the_same_numbers(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    spec = WINTER.replace(themes=("united-front", "censorship"), metric="share", smooth=3)
    expected = aggregate.table(con, spec)
    export_view(con, spec, tmp_path / "t.json", fmt="json")
    rows = json.loads((tmp_path / "t.json").read_text())
    assert len(rows) == expected.height
    for row, want in zip(rows, expected.iter_rows(named=True), strict=True):
        assert row["period"] == want["period"].isoformat()
        assert date.fromisoformat(row["period"]) == want["period"]
        for key in ("theme", "articles", "total", "share", "smoothed"):
            assert row[key] == want[key], key
    export_view(con, WINTER.replace(table="articles"), tmp_path / "a.json", fmt="json")
    by_id = {r["id"]: r for r in json.loads((tmp_path / "a.json").read_text())}
    assert by_id["c02"]["published"] == "2020-01-01T04:30:00Z"
    assert by_id["c07"]["source"] is None and by_id["c07"]["themes"] == ""
