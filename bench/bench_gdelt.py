"""GDELT GKG import speed: records per second, against DuckDB's raw ingest of the same file.

The real 100-record GKG 2.1 sample is replicated (with fresh record ids) to `--lines` lines in
bench/.cache/. Each run times, on the same file and in the same process:
  raw      DuckDB `read_csv` of the 27 text columns into a plain table (the baseline),
  scan     DuckDB `read_csv` of the columns we use, counted and thrown away (parsing alone),
  read     our reader parsing everything into the staging area,
  import   read + validate + commit into a fresh database file (what `import` does).
Medians of `--runs` runs are printed with records/s and the ratio to the baseline.

    uv run python bench/bench_gdelt.py [--lines 50000] [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from importers import gdelt_gkg  # noqa: E402
from importers.base import ReadOptions  # noqa: E402
from store.load import Staging  # noqa: E402

SAMPLE = ROOT.parent / "shared" / "realdata" / "gdelt-gkg" / "gkg.csv"
CACHE = ROOT / "bench" / ".cache"


def replicated(lines: int) -> Path:
    """The sample repeated to `lines` lines, each with its own GKGRECORDID (built once)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"gkg21_{lines}.tsv"
    if path.exists():
        return path
    records = SAMPLE.read_text(encoding="utf-8").splitlines()
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as out:
        for i in range(lines):
            rest = records[i % len(records)].split("\t", 1)[1]
            out.write(f"20200318104500-{i}\t{rest}\n")
    tmp.rename(path)
    return path


def raw_ingest(path: Path, workdir: Path) -> int:
    """DuckDB alone: the file's 27 columns as text into a table of a database file."""
    cols = ", ".join(f"'c{i:02d}': 'VARCHAR'" for i in range(1, 28))
    db = workdir / "raw.duckdb"
    db.unlink(missing_ok=True)
    con = duckdb.connect(str(db))
    try:
        con.execute(
            "CREATE TABLE raw AS SELECT * FROM read_csv(?, auto_detect = false, header = false, "
            "delim = '\t', quote = '', escape = '', comment = '', "
            f"max_line_size = 33554432, buffer_size = 67108864, columns = {{{cols}}})",
            [str(path)],
        )
        return int(con.sql("SELECT count(*) FROM raw").fetchall()[0][0])
    finally:
        con.close()


def scan(path: Path, workdir: Path) -> int:
    """DuckDB alone: parse the file and touch the columns the GKG reader uses."""
    cols = ", ".join(f"'c{i:02d}': 'VARCHAR'" for i in range(1, 28))
    con = duckdb.connect()
    try:
        return int(con.sql(
            "SELECT count(*) FROM read_csv(?, auto_detect = false, header = false, "
            "delim = '	', quote = '', escape = '', comment = '', "
            f"max_line_size = 33554432, buffer_size = 67108864, columns = {{{cols}}}) "
            "WHERE length(concat(c01, c02, c03, c04, c05, c08, c09, c10, c11, c16, c26, c27)) "
            ">= 0",
            params=[str(path)],
        ).fetchall()[0][0])
    finally:
        con.close()


def our_read(path: Path, workdir: Path) -> int:
    with Staging(on_duplicate=gdelt_gkg.ON_DUPLICATE, tmp_dir=workdir) as st:
        gdelt_gkg.read(path, st, st.begin_file(str(path), gdelt_gkg.FORMAT), ReadOptions())
        return st.files[0].records


def our_import(path: Path, workdir: Path) -> int:
    db = workdir / "ours.duckdb"
    db.unlink(missing_ok=True)
    with Staging(on_duplicate=gdelt_gkg.ON_DUPLICATE, tmp_dir=workdir) as st:
        gdelt_gkg.read(path, st, st.begin_file(str(path), gdelt_gkg.FORMAT), ReadOptions())
        return st.commit(db).new


def median_seconds(run: Callable[[], int], runs: int, expect: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        n = run()
        times.append(time.perf_counter() - start)
        if n != expect:
            raise SystemExit(f"expected {expect:,} records, got {n:,}")
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if not SAMPLE.exists():
        raise SystemExit(f"{SAMPLE} not found: the real GDELT sample lives beside the project")
    path = replicated(args.lines)
    size_mb = path.stat().st_size / 1e6
    print(f"{path.name}: {args.lines:,} GKG 2.1 records, {size_mb:,.0f} MB, {args.runs} runs")
    with tempfile.TemporaryDirectory(prefix="bench-gdelt-") as tmp:
        work = Path(tmp)
        base = median_seconds(lambda: raw_ingest(path, work), args.runs, args.lines)
        parse = median_seconds(lambda: scan(path, work), args.runs, args.lines)
        read = median_seconds(lambda: our_read(path, work), args.runs, args.lines)
        full = median_seconds(lambda: our_import(path, work), args.runs, args.lines)
    print(f"{'step':<8} {'median s':>9} {'records/s':>11} {'MB/s':>7} {'× raw':>6}")
    for name, secs in (("raw", base), ("scan", parse), ("read", read), ("import", full)):
        print(f"{name:<8} {secs:>9.2f} {args.lines / secs:>11,.0f} {size_mb / secs:>7.0f} "
              f"{secs / base:>6.2f}")


if __name__ == "__main__":
    main()
