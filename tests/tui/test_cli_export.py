"""`softpower-tui export`: flags, view files, exit codes, and the same bytes as the dashboard."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from importers.run import run_import
from store.db import reading
from store.export import encode, export_view
from store.viewspec import ViewSpec
from tui.cli import main
from tui.commands.common import handle_errors

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "aggregate"
VIEWS = FIXTURES / "views"


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli-export") / "corpus.duckdb"
    run_import([FIXTURES / "corpus.jsonl"], path)
    return path


def _export(db: Path, *args: str, cwd: Path | None = None) -> click.testing.Result:
    runner = CliRunner()
    if cwd is None:
        return runner.invoke(main, ["export", "--db", str(db), *args], catch_exceptions=False)
    old = Path.cwd()
    os.chdir(cwd)
    try:
        return runner.invoke(main, ["export", "--db", str(db), *args], catch_exceptions=False)
    finally:
        os.chdir(old)


def test_view_file_gives_the_dashboards_bytes(db: Path, tmp_path: Path) -> None:
    for name in ("trends", "trends_by_region", "regions", "articles", "cooccurrence", "spikes"):
        out = tmp_path / f"{name}.csv"
        result = _export(db, "--view", str(VIEWS / f"{name}.toml"), "-o", str(out))
        assert result.exit_code == 0, result.output
        with reading(db) as con:
            export_view(con, ViewSpec.load(VIEWS / f"{name}.toml"), tmp_path / "d.csv",
                        force=True)
        assert out.read_bytes() == (tmp_path / "d.csv").read_bytes(), name
        assert f"to {out}" in result.stderr


def test_flags_build_the_view(db: Path) -> None:
    result = _export(
        db, "--theme", "united-front", "--theme", "censorship", "--region", "pacific",
        "--region", "East Asia", "--since", "2019-12-01", "--until", "2020-03-31",
        "--every", "quarter", "--metric", "share", "--by-region", "--smooth", "2", "-o", "-",
    )
    assert result.exit_code == 0, result.stderr
    spec = ViewSpec(themes=["united-front", "censorship"], regions=["Pacific", "East Asia"],
                    since="2019-12-01", until="2020-03-31", every="quarter", metric="share",
                    by_region=True, smooth=2)
    with reading(db) as con:
        from store import aggregate

        assert result.stdout_bytes == encode(aggregate.table(con, spec), "csv")
    assert result.stdout.splitlines()[0] == "period,theme,region,articles,total,share,smoothed"


def test_flags_override_the_view_file(db: Path) -> None:
    view = str(VIEWS / "trends.toml")  # monthly, share, smooth 2, three themes
    result = _export(db, "--view", view, "--every", "quarter", "--theme", "censorship",
                     "--smooth", "1", "-o", "-")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [
        "period,theme,articles,total,share",
        "2019-10-01,censorship,0,2,0.0",  # the file's since/until kept: Dec 2019 to Mar 2020
        "2020-01-01,censorship,2,10,0.2",
    ]
    result = _export(db, "--view", view, "--table", "regions", "--search", "FRONT", "-o", "-")
    assert result.stdout.splitlines()[:2] == [
        "theme,region,articles,total,share",
        "united-front,Africa,2,4,0.5",
    ]
    result = _export(db, "--view", str(VIEWS / "trends_by_region.toml"), "--no-by-region",
                     "-o", "-")
    assert result.stdout.splitlines()[0] == "period,theme,articles,total,share"


def test_default_file_name_in_the_current_folder(db: Path, tmp_path: Path) -> None:
    result = _export(db, "--table", "regions", "--format", "json", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    (written,) = tmp_path.iterdir()
    assert written.name.startswith("softpower-regions-") and written.suffix == ".json"


def test_formats_and_sanitize(db: Path, tmp_path: Path) -> None:
    import polars as pl

    args = ("--table", "articles", "--since", "2020-03-31", "--until", "2020-03-31")
    assert _export(db, *args, "-o", str(tmp_path / "a.parquet"), "--format", "parquet"
                   ).exit_code == 0
    assert pl.read_parquet(tmp_path / "a.parquet")["id"].to_list() == ["c11", "c12"]  # newest first
    safe = _export(db, *args, "-o", "-").stdout
    raw = _export(db, *args, "--no-sanitize", "-o", "-").stdout
    assert "\"'=SUM(1,2) United_Front\"" in safe and ",'@elite capture," in safe
    assert '"=SUM(1,2) United_Front"' in raw and ",@elite capture," in raw


def test_existing_file_needs_force(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "t.csv"
    out.write_text("keep me\n")
    result = _export(db, "-o", str(out))
    assert result.exit_code == 1
    assert result.stderr == f"error: {out}: file exists; use --force to overwrite it\n"
    assert out.read_text() == "keep me\n"
    assert _export(db, "-o", str(out), "--force").exit_code == 0
    assert out.read_text().startswith("period,theme,articles,total,share\n")


@pytest.mark.parametrize(
    ("args", "flag", "accepted"),
    [
        (["--table", "chart"], "'--table'", "'trends', 'regions', 'articles', 'cooccurrence'"),
        (["--every", "weekly"], "'--every'", "'day', 'week', 'month', 'quarter', 'year'"),
        (["--metric", "ratio"], "'--metric'", "'count', 'share', 'tone'"),
        (["--format", "xlsx"], "'--format'", "'csv', 'parquet', 'json'"),
        (["--smooth", "0"], "'--smooth'", "1<=x<=52"),
        (["--region", "Afrika"], "'--region'", "did you mean 'Africa'?"),
        (["--country", "Frence"], "'--country'", "did you mean 'France'?"),
        (["--since", "2020-02-30"], "'--since'", "YYYY-MM-DD"),
    ],
)
def test_bad_flag_values_exit_2(db: Path, args: list[str], flag: str, accepted: str) -> None:
    result = _export(db, *args)
    assert result.exit_code == 2
    assert f"Invalid value for {flag}" in result.stderr and accepted in result.stderr
    assert "Traceback" not in result.output


def test_dates_out_of_order_exit_2(db: Path) -> None:
    result = _export(db, "--since", "2020-02-01", "--until", "2020-01-01")
    assert result.exit_code == 2
    assert "out of order" in result.stderr


def test_unknown_theme_exits_1_with_a_suggestion(db: Path, tmp_path: Path) -> None:
    result = _export(db, "--theme", "unted-front")
    assert result.exit_code == 1
    assert "unknown theme 'unted-front' — did you mean 'united-front'?" in result.stderr
    view = tmp_path / "v.toml"
    view.write_text('[filters]\nthemes = ["censorshp"]\n')
    result = _export(db, "--view", str(view))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {view}: unknown theme 'censorshp'")
    assert list(tmp_path.iterdir()) == [view]  # nothing written


def test_view_file_problems_exit_1_naming_the_file(db: Path, tmp_path: Path) -> None:
    missing = tmp_path / "missing.toml"
    result = _export(db, "--view", str(missing))
    assert result.exit_code == 1 and f"error: {missing}: cannot read" in result.stderr
    bad = tmp_path / "bad.toml"
    bad.write_text("[view]\nevery = 'weekly'\n")
    result = _export(db, "--view", str(bad))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {bad}: every: 'weekly' is not one of")
    broken = tmp_path / "broken.toml"
    broken.write_text("[filters\n")
    result = _export(db, "--view", str(broken))
    assert result.exit_code == 1 and f"{broken}: not valid TOML" in result.stderr


def test_missing_database_exits_1(tmp_path: Path) -> None:
    result = _export(tmp_path / "none.duckdb", "-o", "-")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: no database at {tmp_path / 'none.duckdb'}")


def test_broken_pipe_is_quiet() -> None:
    @click.command()
    @handle_errors
    def noisy() -> None:
        raise BrokenPipeError(32, "Broken pipe")

    result = CliRunner().invoke(noisy, [])
    assert result.exit_code == 0 and result.output == ""


@pytest.mark.parametrize("args", [["info"], ["export", "--table", "articles", "-o", "-"]])
def test_closed_stdout_exits_quietly(db: Path, args: list[str]) -> None:
    """`softpower-tui info | head -1`: the reader is gone before we write; no error, no trace."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        proc = subprocess.run(
            [sys.executable, "-c", "from tui.cli import main; main()", *args, "--db", str(db)],
            stdout=write_end, stderr=subprocess.PIPE, timeout=120, check=False,
        )
    finally:
        os.close(write_end)
    assert proc.stderr == b""
    assert proc.returncode == 0
