"""A/B of the import between source trees: whole imports, each in a fresh process, interleaved.

    uv run --group bench python bench/ab_import.py TREE [TREE ...] [--file PATH] [--runs N]

Each TREE is a checkout of this project (e.g. `git worktree add /tmp/before HEAD~1` beside the
working tree `.`). Every round imports the file once with each tree and once with DuckDB's raw
ingest (`CREATE TABLE t AS SELECT * FROM read_json/read_csv/read_parquet(file)` into a fresh
file), each in a new Python process, so a change in the load of the shared machine falls on all of
them alike and no process carries state from a run before. Prints medians, each tree's ratio to
raw ingest, and CPU time. A tool for deciding whether a change pays, not a section of
docs/benchmarks.md (`bench_import.py` writes that); the default file is the 1M JSONL file that
`bench_import.py` generates.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_FILE = ROOT / "bench" / ".cache" / "import" / "articles_1000000.jsonl"

_OURS = r"""
import json, shutil, sys, tempfile, time
sys.path.insert(0, sys.argv[1])
from pathlib import Path
from importers.run import run_import
work = Path(tempfile.mkdtemp(prefix="ab-import-"))
try:
    wall, cpu = time.perf_counter(), time.process_time()
    run_import([Path(sys.argv[2])], work / "ab.duckdb", tmp_dir=work)
    print(json.dumps([time.perf_counter() - wall, time.process_time() - cpu]))
finally:
    shutil.rmtree(work, ignore_errors=True)
"""

_RAW = r"""
import json, shutil, sys, tempfile, time
import duckdb
readers = {"jsonl": "read_json", "csv": "read_csv", "parquet": "read_parquet"}
reader = readers[sys.argv[2].rsplit(".", 1)[-1]]
work = tempfile.mkdtemp(prefix="ab-raw-")
try:
    wall, cpu = time.perf_counter(), time.process_time()
    con = duckdb.connect(work + "/raw.duckdb")
    con.execute(f"CREATE TABLE t AS SELECT * FROM {reader}(?)", [sys.argv[2]])
    con.close()
    print(json.dumps([time.perf_counter() - wall, time.process_time() - cpu]))
finally:
    shutil.rmtree(work, ignore_errors=True)
"""


def _run(code: str, tree: str, path: Path) -> tuple[float, float]:
    """Wall and CPU seconds of one import (or raw ingest) in a fresh process."""
    done = subprocess.run([sys.executable, "-c", code, tree, str(path)], capture_output=True,
                          text=True, cwd=tree)
    if done.returncode:
        raise SystemExit(f"{tree}: the import failed:\n{done.stderr[-2000:]}")
    wall, cpu = json.loads(done.stdout.strip().splitlines()[-1])
    return float(wall), float(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trees", nargs="+", type=Path, help="checkouts of this project to compare")
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE,
                        help="the file to import (.jsonl, .csv or .parquet)")
    parser.add_argument("--runs", type=int, default=5, help="rounds (each tree and raw once)")
    args = parser.parse_args()
    args.file = args.file.resolve()
    if not args.file.exists():
        raise SystemExit(f"{args.file}: no such file (bench/bench_import.py generates it)")
    trees = [str(t.resolve()) for t in args.trees]
    for tree in trees:
        if not (Path(tree) / "importers" / "run.py").exists():
            raise SystemExit(f"{tree}: not a checkout of this project")
    names = [*trees, "raw"]
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in names}
    for _ in range(max(1, args.runs)):
        for name in names:
            if name == "raw":
                times[name].append(_run(_RAW, str(ROOT), args.file))
            else:
                times[name].append(_run(_OURS, name, args.file))
    raw = statistics.median(w for w, _ in times["raw"])
    print(f"{args.file.name}, {args.runs} rounds, medians:")
    for name in names:
        wall = statistics.median(w for w, _ in times[name])
        cpu = statistics.median(c for _, c in times[name])
        runs = ", ".join(f"{w:.2f}" for w, _ in times[name])
        print(f"  {name}: {wall:.3f} s ({wall / raw:.2f}x raw), CPU {cpu:.2f} s  [{runs}]")


if __name__ == "__main__":
    main()
