"""Many analysts, one file: reader processes in loops while an importer lands file after file.

The larger setting of the CI stress test (tests/reliability/test_concurrency.py), with the same
worker processes (tests/reliability/reliability_helpers.py). Each run, in this process:
  alone    the importer imports the files with nobody reading (baseline),
  shared   the same imports while `--readers` store readers and `--cli-readers` `info` loops
           read the same file.
It checks what the test checks (every read succeeds and sees a sound, committed state; the final
state is exact and equals a quiet import's) and reports medians over `--runs` runs: the time per
import alone and shared (and their ratio), the time per read while imports land, reads done.
Results go to the "stress" section of docs/benchmarks.md.

    uv run --group bench python bench/bench_stress.py [--readers 4] [--cli-readers 2]
        [--files 8] [--per-file 20000] [--runs 3] [--quick]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "reliability"))

from reliability_helpers import content, run_stress, snapshot  # noqa: E402

from bench.common import (  # noqa: E402
    Results,
    cache_dir,
    command_text,
    machine,
    markdown_table,
    write_section,
)
from importers.run import run_import  # noqa: E402
from store.db import reading  # noqa: E402

SECTION = "stress"


def check(r: dict, files: int, per_file: int) -> None:
    """Raise SystemExit unless the run kept every promise of the stress test."""
    problems = []
    if any(code != 0 for code in r["returncodes"]):
        problems.append(f"a process failed: {r['returncodes']} {r['stderr']}")
    committed = r["committed"]
    if len(committed) != files:
        problems.append(f"{len(committed)} committed states, expected {files}")
    for read in r["reads"]:
        if read["broken"]:
            problems.append(f"a read saw a broken database: {read['broken']}")
        if read["state"] not in committed:
            problems.append(f"a read saw a state that was never committed: {read['state']}")
    shown = {(s["articles"], s["imports"]) for s in committed}
    for info in r["info"]:
        if info["code"] != 0 or (info.get("articles"), info.get("imports")) not in shown:
            problems.append(f"an info run failed or showed an uncommitted state: {info}")
    if r["final"] != committed[-1] or r["final"]["articles"] != files * per_file:
        problems.append(f"final state {r['final']} is not the last committed one")
    if r["final_broken"]:
        problems.append(f"final state broken: {r['final_broken']}")
    if problems:
        raise SystemExit("stress run failed:\n" + "\n".join(problems[:10]))


def quiet_content(paths: list[Path], work: Path) -> tuple[dict, int]:
    db = work / "quiet.duckdb"
    for path in paths:
        run_import([path], db)
    with reading(db) as con:
        return snapshot(con), content(con)


def one_run(work: Path, readers: int, cli_readers: int, files: int, per_file: int,
            loops: int) -> dict:
    alone = run_stress(work / "alone", readers=0, cli_readers=0, loops=0, files=files,
                       per_file=per_file, timeout=3600)
    check(alone, files, per_file)
    shared = run_stress(work / "shared", readers=readers, cli_readers=cli_readers, loops=loops,
                        files=files, per_file=per_file, timeout=3600)
    check(shared, files, per_file)
    final, final_content = quiet_content(shared["paths"], work)
    if shared["final"] != final or shared["final_content"] != final_content:
        raise SystemExit("the shared run's final state differs from a quiet import of the files")
    return {
        "import_alone_s": statistics.median(e["seconds"] for e in alone["importer"]
                                            if "committed" in e),
        "import_shared_s": statistics.median(e["seconds"] for e in shared["importer"]
                                             if "committed" in e),
        "read_s": statistics.median(r["seconds"] for r in shared["reads"]),
        "read_p95_s": sorted(r["seconds"] for r in shared["reads"])[
            int(0.95 * (len(shared["reads"]) - 1))],
        "read_max_s": max(r["seconds"] for r in shared["reads"]),
        "reads": len(shared["reads"]),
        "info_runs": len(shared["info"]),
        "states_seen": len({str(r["state"]) for r in shared["reads"]}),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readers", type=int, default=4, help="store reader processes")
    parser.add_argument("--cli-readers", type=int, default=2, help="`info` loop processes")
    parser.add_argument("--files", type=int, default=8, help="files imported one by one")
    parser.add_argument("--per-file", type=int, default=20_000, help="new articles per file")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 2 readers, 1 info loop, 3 files of 300, one run, "
                             "docs left alone")
    parser.add_argument("--db", help="ignored (this benchmark builds its own files)")
    args = parser.parse_args(argv)
    if args.quick:
        args.readers, args.cli_readers, args.files, args.per_file, args.runs = 2, 1, 3, 300, 1
    loops = 5
    runs = []
    cache = cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    for i in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="bench-stress-", dir=cache) as tmp:
            runs.append(one_run(Path(tmp), args.readers, args.cli_readers, args.files,
                                args.per_file, loops))
        print(f"run {i + 1}/{args.runs}: {runs[-1]}", file=sys.stderr)

    def med(key: str) -> float:
        return statistics.median(r[key] for r in runs)

    alone, shared = med("import_alone_s"), med("import_shared_s")
    rows = [
        ["import of one file, nobody reading (baseline)", f"{alone:.2f} s", "1.00"],
        [f"import of one file, {args.readers} + {args.cli_readers} readers looping",
         f"{shared:.2f} s", f"{shared / alone:.2f}"],
        ["one read (snapshot + invariants) while imports land, median", f"{med('read_s'):.3f} s",
         ""],
        ["… 95th percentile", f"{med('read_p95_s'):.3f} s", ""],
        ["… slowest", f"{med('read_max_s'):.3f} s", ""],
    ]
    table = markdown_table(["what (median of runs)", "time", "× baseline"], rows)
    reads = sum(r["reads"] for r in runs)
    infos = sum(r["info_runs"] for r in runs)
    print(table)
    Results(SECTION, {"readers": args.readers, "cli_readers": args.cli_readers,
                      "files": args.files, "per_file": args.per_file, "runs": runs}).save()
    if args.quick:
        return
    argv_used = ["--readers", str(args.readers), "--cli-readers", str(args.cli_readers),
                 "--files", str(args.files), "--per-file", str(args.per_file),
                 "--runs", str(args.runs)]
    body = "\n\n".join([
        "## Stress: readers and an importer on one file",
        f"{args.readers} reader processes (each a short read-only connection: the snapshot of "
        f"tests/reliability and the invariant checks) and {args.cli_readers} `softpower-tui "
        f"info` loops read one database while an importer lands {args.files} JSON Lines files "
        f"of {args.per_file:,} new articles (plus revisions of earlier ones) one import at a "
        "time; the baseline is the same importer with nobody reading. Medians over "
        f"{len(runs)} runs.",
        table,
        f"Every one of the {reads:,} reads and {infos:,} `info` runs succeeded and saw a "
        "committed state with sound invariants; every final state equalled a quiet import of "
        "the same files. A read's time includes waiting for the importer's write window (its "
        "stage and check happen before the lock) and sharing the cores with the other "
        "processes; the import's, waiting for the readers of the moment to let go.",
        "Machine: " + "; ".join(f"{k} {v}" for k, v in machine().items()
                                if k in ("CPU", "RAM", "DuckDB")) + ".",
    ])
    write_section(SECTION, body, command=command_text("bench/bench_stress.py", argv_used))


if __name__ == "__main__":
    main()
