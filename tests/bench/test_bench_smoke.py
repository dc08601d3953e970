"""The benchmark harness: sizes, timing text, sections of the results file, peak memory."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

import common  # noqa: E402


@pytest.mark.parametrize(
    ("text", "n"), [("100k", 100_000), ("1m", 1_000_000), ("10M", 10_000_000), ("2500", 2500),
                    ("2.5k", 2500)]
)
def test_parse_size(text: str, n: int) -> None:
    assert common.parse_size(text) == n


@pytest.mark.parametrize("text", ["", "ten", "1g", "0", "1.5"])
def test_parse_size_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        common.parse_size(text)


def test_size_label_round_trips() -> None:
    for n in (3_000, 2_500, 100_000, 1_000_000, 10_000_000, 999):
        assert common.parse_size(common.size_label(n)) == n
    assert common.size_label(1_000_000) == "1M"


def test_timing_median_and_text() -> None:
    timing = common.Timing((0.050, 0.040, 0.045))
    assert timing.median == pytest.approx(0.045)
    assert timing.text() == "45.0 ms (40.0–50.0, n=3)"
    assert common.timing_text({"median": 1.5, "low": 1.5, "high": 1.5, "runs": 1}) == "1.50 s"


def test_time_runs_counts_calls() -> None:
    calls = []
    timing = common.time_runs(lambda: calls.append(1), runs=4, warmup=2)
    assert len(calls) == 6
    assert timing.runs == 4


def test_replace_section_keeps_the_others() -> None:
    doc = common.replace_section("", "alpha", "## Alpha\n\none")
    doc = common.replace_section(doc, "beta", "## Beta\n\ntwo")
    doc = common.replace_section(doc, "alpha", "## Alpha\n\nthree")
    assert doc.startswith("# Benchmarks")
    assert "one" not in doc and "three" in doc and "two" in doc
    assert doc.index("Alpha") < doc.index("Beta")
    assert doc.count("<!-- bench:alpha -->") == 1


def test_replace_section_body_is_literal() -> None:
    doc = common.replace_section("", "alpha", r"## A \1 \g<0> $x")
    assert r"## A \1 \g<0> $x" in doc


def test_order_sections() -> None:
    doc = ""
    for name in ("gamma", "alpha", "beta"):
        doc = common.replace_section(doc, name, f"## {name}")
    ordered = common.order_sections(doc, ["beta", "alpha"])
    assert [ordered.index(f"## {n}") for n in ("beta", "alpha", "gamma")] == sorted(
        ordered.index(f"## {n}") for n in ("beta", "alpha", "gamma")
    )
    assert ordered.startswith("# Benchmarks")


def test_write_section_adds_command_and_reads_back(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("SOFTPOWER_BENCH_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "benchmarks.md"
    common.write_section("alpha", "## Alpha\n\nbody", command="uv run x", path=out)
    common.write_section("beta", "## Beta", path=out)
    assert common.read_section("alpha", out) == "## Alpha\n\n`uv run x`\n\nbody"
    assert common.read_section("missing", out) is None


def test_section_names_are_slugs() -> None:
    with pytest.raises(ValueError):
        common.replace_section("", "Bad Name", "x")


def test_run_measured_reports_peak_memory_and_exit() -> None:
    run = common.run_measured(
        [sys.executable, "-c", "import time; b = bytearray(150_000_000); "
                               "b[::4096] = b'x' * len(b[::4096]); del b; time.sleep(0.1); "
                               "print('done')"]
    )
    assert run.returncode == 0 and run.stdout.strip() == "done"
    assert run.peak_rss > 150_000_000
    failed = common.run_measured([sys.executable, "-c", "import sys; sys.exit(3)"])
    assert failed.returncode == 3
    with pytest.raises(RuntimeError, match="exited with 3"):
        failed.check("the child")


def test_run_measured_does_not_count_the_parents_memory() -> None:
    ballast = bytearray(300_000_000)
    ballast[::4096] = b"x" * len(ballast[::4096])
    run = common.run_measured([sys.executable, "-c", "import time; time.sleep(0.1)"])
    assert 0 < run.peak_rss < 200_000_000
    del ballast


def test_generator_version_changes_with_the_generator(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(common, "ROOT", tmp_path)
    before = common.generator_version()
    (tmp_path / "importers").mkdir()
    (tmp_path / "importers" / "demo.py").write_text("VERSION = 2\n")
    assert common.generator_version() != before


def test_markdown_table_escapes_pipes() -> None:
    table = common.markdown_table(["a", "b"], [["x|y", 1]])
    assert table.splitlines()[2] == "| x\\|y | 1 |"
    assert table.splitlines()[1] == "| --- | ---: |"


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_unchecked_tables_baseline_writes_what_an_import_writes(
    fmt: str, tmp_path: Path, monkeypatch
) -> None:
    """profile_import's "tables, unchecked" baseline writes the rows our import writes to the
    same tables (for a corpus without a bad record), so it is the floor it claims to be."""
    import bench_import
    import duckdb
    import profile_import

    monkeypatch.setenv("SOFTPOWER_BENCH_CACHE", str(tmp_path / "cache"))
    path = bench_import.corpus_files(300)[fmt]
    ours, unchecked = tmp_path / "ours", tmp_path / "unchecked"
    ours.mkdir()
    unchecked.mkdir()
    bench_import.our_import(path, ours)
    profile_import._stage_and_tables(path, bench_import.READERS[fmt], unchecked)
    tables = ("articles", "article_themes", "article_countries", "article_regions")
    counts = {}
    for name, db in (("ours", ours / "ours.duckdb"), ("unchecked", unchecked / "target.duckdb")):
        con = duckdb.connect(str(db), read_only=True)
        counts[name] = [con.sql(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in tables]
        con.close()
    assert counts["unchecked"] == counts["ours"]
    assert min(counts["ours"]) > 0
