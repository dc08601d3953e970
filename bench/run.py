"""Run every benchmark and write docs/benchmarks.md: the one entry point of bench/.

    uv run --group bench python bench/run.py [--sizes 100k,1m,10m] [--quick] [--only ...]

Builds (or reuses from bench/.cache/) a demo corpus of each size with `softpower-tui sample`, writes
the machine section, runs each per-feature script (bench/bench_*.py) as a subprocess on the 1M
corpus (the size the issues' targets are stated at), then the scaling curve over every size, and
finally a summary of what ran. `--quick` is a smoke run on a tiny corpus; its document goes to
bench/.cache/quick/benchmarks.md unless --out says otherwise.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import common

# Per-feature scripts in the order they run; each writes its own section of docs/benchmarks.md.
FEATURES = ("import", "gdelt", "aggregate", "dashboard", "articles_scroll", "stress")
QUICK_SIZE = 3_000
FEATURE_SIZE = 1_000_000


@dataclass
class Ran:
    """One benchmark script run by this harness."""

    name: str
    command: str
    status: str
    seconds: float
    finished: str = ""


def remember(ran: list[Ran], name: str = "runs") -> list[Ran]:
    """Merge this invocation's runs into the saved ones (latest per benchmark); return them all."""
    saved = common.Results(name)
    previous = common.Results.load(name).figures
    order = ["scaling", *FEATURES]
    merged = {name: Ran(**fields) for name, fields in previous.items() if name in order}
    for r in ran:
        if r.status not in ("not present",) or r.name not in merged:
            merged[r.name] = r
    saved.figures = {name: vars(merged[name]) for name in order if name in merged}
    saved.save()
    return [merged[name] for name in order if name in merged]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def supported_flags(script: Path) -> set[str]:
    """The long options a script's --help lists (so only flags it understands are passed)."""
    try:
        done = subprocess.run(
            [sys.executable, str(script), "--help"], capture_output=True, text=True, timeout=120,
            cwd=common.ROOT,
        )
    except subprocess.TimeoutExpired:
        return set()
    return set(re.findall(r"(--[a-z][a-z0-9-]*)", done.stdout))


def feature_argv(flags: set[str], db: Path, runs: int | None, quick: bool) -> list[str] | None:
    """The arguments for one per-feature script, or None when it cannot do a quick run."""
    argv: list[str] = []
    if "--db" in flags:
        argv += ["--db", str(db)]
    if runs and "--runs" in flags:
        argv += ["--runs", str(runs)]
    if quick:
        if "--quick" not in flags:
            return None
        argv.append("--quick")
    return argv


def run_script(name: str, script: Path, argv: list[str], timeout: float) -> Ran:
    command = common.command_text(f"bench/{script.name}", argv)
    log(f"→ {command}")
    start = time.perf_counter()
    try:
        done = subprocess.run(
            [sys.executable, str(script), *argv], cwd=common.ROOT, timeout=timeout,
            stdout=sys.stderr, stderr=subprocess.PIPE, text=True,
        )
    except subprocess.TimeoutExpired:
        return Ran(name, command, f"timed out after {timeout:.0f} s", time.perf_counter() - start)
    seconds = time.perf_counter() - start
    finished = f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        tail = " ".join(done.stderr.strip().splitlines()[-1:])
        return Ran(name, command, f"failed (exit {done.returncode}): {tail[:200]}", seconds,
                   finished)
    return Ran(name, command, "ok", seconds, finished)


def cached_sizes(seed: int) -> list[int]:
    """Sizes of the corpora in the cache built by the current generator."""
    sizes = []
    suffix = f"-s{seed}-g{common.generator_version()}.duckdb"
    for path in common.cache_dir().glob(f"corpus-*{suffix}"):
        label = path.name[len("corpus-"):-len(suffix)]
        try:
            sizes.append(common.parse_size(label))
        except ValueError:
            continue
    return sizes


def machine_section(command: str, corpora: dict[int, tuple[Path, float | None]]) -> str:
    rows = []
    for n, (path, built) in corpora.items():
        facts = _corpus_facts(path)
        rows.append([
            common.size_label(n), f"{facts[0]:,}", f"{facts[1]:,}", common.fmt_bytes(
                path.stat().st_size), "cached" if built is None else common.fmt_seconds(built),
        ])
    return "\n".join([
        "## Machine and corpora",
        "",
        f"`{command}` — started {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.",
        "",
        common.machine_markdown(),
        "",
        "Corpora: `softpower-tui sample --articles N --seed "
        f"{common.DEFAULT_SEED}` (generator version {common.generator_version()}), cached in "
        "bench/.cache/.",
        "",
        common.markdown_table(
            ["size", "articles", "theme tags", "database file", "built in"], rows
        ),
    ])


def _corpus_facts(path: Path) -> tuple[int, int]:
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    try:
        articles = int(con.sql("SELECT count(*) FROM articles").fetchall()[0][0])
        tags = int(con.sql("SELECT count(*) FROM article_themes").fetchall()[0][0])
    finally:
        con.close()
    return articles, tags


def summary_section(ran: list[Ran], total: float) -> str:
    rows = [[r.name, f"`{r.command}`", r.status, common.fmt_seconds(r.seconds) if r.seconds
             else "—", r.finished or "—"] for r in ran]
    return "\n".join([
        "## What ran",
        "",
        common.markdown_table(["benchmark", "command", "status", "wall time", "finished"], rows,
                              align="lllrl"),
        "",
        f"The latest run of each benchmark; this invocation took {common.fmt_seconds(total)}.",
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=None,
                        help="corpus sizes for the scaling curve (default 100k,1m,10m)")
    parser.add_argument("--quick", action="store_true",
                        help=f"smoke run: one {QUICK_SIZE:,}-article corpus, few runs")
    parser.add_argument("--only", default=None,
                        help="comma-separated subset of: scaling, " + ", ".join(FEATURES))
    parser.add_argument("--runs", type=int, default=None, help="timed runs per figure")
    parser.add_argument("--seed", type=int, default=common.DEFAULT_SEED)
    parser.add_argument("--out", type=Path, default=None,
                        help="the document to write (default docs/benchmarks.md)")
    parser.add_argument("--timeout", type=float, default=3600,
                        help="seconds one script may take before it is stopped")
    args = parser.parse_args(argv)
    argv_used = list(argv if argv is not None else sys.argv[1:])
    command = common.command_text("bench/run.py", argv_used)

    if args.out is None and args.quick:
        args.out = common.cache_dir() / "quick" / "benchmarks.md"
    if args.out is not None:
        os.environ["SOFTPOWER_BENCH_OUT"] = str(args.out.resolve())
    sizes_text = args.sizes or (str(QUICK_SIZE) if args.quick else "100k,1m,10m")
    try:
        sizes = sorted({common.parse_size(s) for s in sizes_text.split(",") if s.strip()})
    except ValueError as exc:
        parser.error(str(exc))
    wanted = {"scaling", *FEATURES}
    if args.only:
        wanted = {w.strip() for w in args.only.split(",") if w.strip()}
        unknown = wanted - {"scaling", *FEATURES}
        if unknown:
            parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")

    start = time.perf_counter()
    corpora: dict[int, tuple[Path, float | None]] = {}
    for n in sizes:
        cached = common.corpus_path(n, args.seed).exists()
        t0 = time.perf_counter()
        path = common.corpus(n, args.seed, log=log)
        corpora[n] = (path, None if cached else time.perf_counter() - t0)
    for n in [] if args.quick else cached_sizes(args.seed):
        if n >= 100_000:  # not the smoke run's corpus
            corpora.setdefault(n, (common.corpus_path(n, args.seed), None))
    common.write_section("machine", machine_section(command, dict(sorted(corpora.items()))))

    feature_size = FEATURE_SIZE if FEATURE_SIZE in corpora else min(
        corpora, key=lambda n: abs(n - FEATURE_SIZE)
    )
    feature_db = corpora[feature_size][0]
    ran: list[Ran] = []
    for name in FEATURES:
        script = common.BENCH_DIR / f"bench_{name}.py"
        if name not in wanted:
            continue
        if not script.exists():
            ran.append(Ran(name, f"bench/{script.name}", "not present", 0.0))
            continue
        flags = supported_flags(script)
        feature_args = feature_argv(flags, feature_db, args.runs, args.quick)
        if feature_args is None:
            ran.append(Ran(name, f"bench/{script.name}", "skipped: no --quick mode", 0.0))
            continue
        ran.append(run_script(name, script, feature_args, args.timeout))
    if "scaling" in wanted:
        scaling_args = ["--sizes", ",".join(common.size_label(n) for n in sizes),
                        "--seed", str(args.seed)]
        if args.runs:
            scaling_args += ["--runs", str(args.runs)]
        if args.quick:
            scaling_args.append("--quick")
        ran.append(run_script("scaling", common.BENCH_DIR / "bench_scaling.py", scaling_args,
                              args.timeout * 3))
    remembered = remember(ran, "runs-quick" if args.quick else "runs")
    common.write_section("summary", summary_section(remembered, time.perf_counter() - start))
    common.reorder_sections(["machine", "summary", "scaling", *FEATURES])
    failed = [r for r in ran if r.status.startswith(("failed", "timed out"))]
    log(f"wrote {common.benchmarks_md()}" + (f"; {len(failed)} failed" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
