"""The scaling curve: every headline figure at 100k, 1M and 10M articles, in one table.

For each corpus size (built once by `softpower-tui sample` and cached), measures:
  view query   ViewSpec → finished trends table (bench/viewquery.py) against one hand-written DuckDB
               query on the same file, pandas and Polars over Parquet copies of the same tables;
  dashboard    launch → first full screen, key press → new numbers, scrolling the Articles tab to
               its last row, resident memory of the session (bench/dashboard_session.py, a
               subprocess driving the app through Textual's Pilot);
  import       `softpower-tui import` of the corpus as JSONL, CSV and Parquet against DuckDB's raw
               ingest of the same file, each a subprocess whose peak RSS is measured.
Figures of each size are kept in bench/.cache/results/, so one size can be re-measured alone and the
table still shows every size measured with the current generator.

    uv run --group bench python bench/bench_scaling.py [--sizes 100k,1m,10m] [--parts view,import]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import common
import duckdb
import viewquery
from common import Results, Timing, fmt_bytes, ratio, size_label, time_runs

PARTS = ("view", "dashboard", "import")

# (figure, size) → target, from issue 7.
TARGETS: dict[str, dict[str, str]] = {
    "view": {"1M": "≤ 60 ms", "10M": "≤ 400 ms"},
    "view_ratio": {"*": "≤ 1.2×"},
    "keypress": {"1M": "≤ 150 ms", "10M": "≤ 500 ms"},
    "launch": {"1M": "≤ 1.5 s"},
    "scroll": {"10M": "< 0.5 s"},
    "import_ratio": {"1M": "≤ 2×"},
    "import_rss": {"10M": "< 2 GB"},
    "session_rss": {"1M": "< 400 MB", "10M": "< 1.5 GB"},
}
TARGET_LIMITS: dict[str, dict[str, float]] = {
    "view": {"1M": 0.060, "10M": 0.400},
    "view_ratio": {"*": 1.2},
    "keypress": {"1M": 0.150, "10M": 0.500},
    "launch": {"1M": 1.5},
    "scroll": {"10M": 0.5},
    "import_ratio": {"1M": 2.0},
    "import_rss": {"10M": 2e9},
    "session_rss": {"1M": 400e6, "10M": 1.5e9},
}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- the parts -------------------------------------------------------------------------------------


def measure_view(db: Path, runs: int) -> dict[str, object]:
    """The view query four ways on one corpus; checks they return the same table first."""
    files = viewquery.parquet_tables(db)
    con = duckdb.connect(str(db), read_only=True)
    try:
        view = viewquery.pick_view(con)
        out: dict[str, object] = {
            "view": {"themes": view.themes, "regions": view.regions, "every": viewquery.EVERY},
        }
        reference = viewquery.checksum(viewquery.hand_written(con, view))
        candidates: dict[str, Callable[[], object]] = {
            "hand": lambda: viewquery.hand_written(con, view),
            "polars": lambda: viewquery.polars_obvious(files, view),
        }
        if importlib.util.find_spec("pandas") is not None:
            candidates["pandas"] = lambda: viewquery.pandas_obvious(files, view)
        else:
            out["pandas_missing"] = "pandas not installed (uv run --group bench ...)"
        from store import facts

        if facts.current(con):
            candidates["facts"] = lambda: viewquery.facts_table(con, view)
        else:
            out["facts_missing"] = "the corpus has no current fact tables"
        try:
            spec = viewquery.viewspec(view)
            candidates["ours"] = lambda: viewquery.ours(con, spec)
        except ImportError as exc:
            out["ours_missing"] = f"store aggregation not available: {exc}"
        for name, fn in candidates.items():
            got = viewquery.checksum(fn())
            if got != reference:
                out[f"{name}_mismatch"] = f"{got} ≠ hand-written {reference}"
            out[name] = time_runs(fn, runs=runs, warmup=1).to_dict()
        out["rows"] = reference[0]
        return out
    finally:
        con.close()


def measure_dashboard(db: Path, runs: int) -> dict[str, object]:
    """Launch, key press, scroll and memory of one headless dashboard session (a subprocess)."""
    cmd = [sys.executable, str(common.BENCH_DIR / "dashboard_session.py"), "--db", str(db),
           "--runs", str(runs)]
    run = common.run_measured(cmd, timeout=900)
    if run.returncode != 0:
        tail = " / ".join(run.stderr.strip().splitlines()[-3:])
        return {"error": f"dashboard session failed ({run.returncode}): {tail}"}
    figures = json.loads(run.stdout.strip().splitlines()[-1])
    figures["process_peak_rss"] = run.peak_rss
    return figures


RAW_INGEST = {
    "jsonl": "read_json(?, format = 'newline_delimited')",
    "csv": "read_csv(?, header = true)",
    "parquet": "read_parquet(?)",
}


def measure_import(articles: int, seed: int, runs: int) -> dict[str, object]:
    """`softpower-tui import` of each format against DuckDB's raw ingest, with peak memory."""
    out: dict[str, object] = {}
    for fmt in common.FILE_FORMATS:
        path = common.corpus_file(articles, fmt, seed)
        ours_s, raw_s, ours_rss, raw_rss = [], [], [], []
        for _ in range(runs):
            with tempfile.TemporaryDirectory(prefix="bench-import-", dir=common.cache_dir()) as tmp:
                target = Path(tmp) / "import.duckdb"
                ours = common.run_measured(
                    common.softpower_cmd() + ["import", str(path), "--db", str(target)],
                    env=_env(tmp),
                ).check(f"softpower-tui import {path.name}")
                raw_db = Path(tmp) / "raw.duckdb"
                raw = common.run_measured(
                    [sys.executable, "-c",
                     common.HIDE_PANDAS + "import duckdb; con = duckdb.connect(sys.argv[1]); "
                     f"con.execute(\"CREATE TABLE raw AS SELECT * FROM {RAW_INGEST[fmt]}\", "
                     "[sys.argv[2]]); con.close()",
                     str(raw_db), str(path)],
                ).check(f"DuckDB raw ingest of {path.name}")
            ours_s.append(ours.seconds)
            raw_s.append(raw.seconds)
            ours_rss.append(ours.peak_rss)
            raw_rss.append(raw.peak_rss)
        out[fmt] = {
            "ours": Timing(tuple(ours_s)).to_dict(),
            "raw": Timing(tuple(raw_s)).to_dict(),
            "ours_rss": max(ours_rss),
            "raw_rss": max(raw_rss),
            "file_bytes": path.stat().st_size,
        }
    return out


def _env(tmp: str) -> dict[str, str]:
    import os

    env = dict(os.environ)
    env["TMPDIR"] = tmp  # staging files next to the target, cleaned up with it
    return env


def corpus_facts(db: Path) -> dict[str, object]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        counts = {
            t: int(con.sql(f"SELECT count(*) FROM {t}").fetchall()[0][0])
            for t in ("articles", "article_themes", "article_regions", "article_countries")
        }
        first, last = con.sql("SELECT min(day), max(day) FROM articles").fetchall()[0]
    finally:
        con.close()
    return {**counts, "first_day": str(first), "last_day": str(last),
            "db_bytes": db.stat().st_size}


# -- the table -------------------------------------------------------------------------------------


def _verdict(key: str, label: str, value: float | None) -> str:
    limits = TARGET_LIMITS.get(key, {})
    limit = limits.get(label, limits.get("*"))
    if limit is None or value is None:
        return ""
    return " ✓" if value <= limit else " ✗"


def scaling_table(results: dict[str, dict[str, object]]) -> str:
    """Figures as rows, sizes as columns; each cell the median (range) and ✓/✗ against a target."""
    labels = list(results)
    rows: list[list[str]] = []

    def add(name: str, key: str | None, get: Callable[[dict[str, object]], object],
            show: Callable[[object], str], value: Callable[[object], float | None]) -> None:
        cells = []
        for label in labels:
            try:
                got = get(results[label])
            except (KeyError, TypeError):
                got = None
            if got is None:
                cells.append("—")
                continue
            cells.append(show(got) + (_verdict(key, label, value(got)) if key else ""))
        target = ", ".join(
            f"{t} at {lab}" if lab != "*" else t for lab, t in TARGETS.get(key or "", {}).items()
        )
        rows.append([name, *cells, target])

    def timing(fig: object) -> str:
        return common.timing_text(fig)  # type: ignore[arg-type]

    def median(fig: object) -> float | None:
        return fig["median"] if isinstance(fig, dict) else None  # type: ignore[index]

    def num(fig: object) -> float | None:
        return float(fig) if isinstance(fig, int | float) else None

    add("articles · theme tags · region tags", None,
        lambda r: r["corpus"], lambda c: "{articles:,} · {article_themes:,} · {article_regions:,}"
        .format(**c), lambda _c: None)  # type: ignore[arg-type]
    add("database file", None, lambda r: r["corpus"]["db_bytes"],
        lambda b: fmt_bytes(b), num)  # type: ignore[arg-type]
    add("**view query**, ours (ViewSpec → table)", "view", lambda r: r["view"]["ours"], timing,
        median)
    add("view query, one hand-written DuckDB query", None, lambda r: r["view"]["hand"], timing,
        median)
    add("view query from the store's fact tables (store/facts.py + zero-fill)", "view",
        lambda r: r["view"]["facts"], timing, median)
    add("fact tables ÷ hand-written", "view_ratio",
        lambda r: ratio(r["view"]["facts"]["median"], r["view"]["hand"]["median"]),
        lambda x: f"{x:.2f}×", num)
    add("ours ÷ hand-written", "view_ratio",
        lambda r: ratio(r["view"]["ours"]["median"], r["view"]["hand"]["median"]),
        lambda x: f"{x:.2f}×", num)
    add("view query, Polars over Parquet (read + join + group)", None,
        lambda r: r["view"]["polars"], timing, median)
    add("view query, pandas over Parquet (read + merge + groupby)", None,
        lambda r: r["view"]["pandas"], timing, median)
    add("**key press** → new numbers on screen", "keypress", lambda r: r["dashboard"]["keypress"],
        timing, median)
    add("… key presses whose view had not been read before (no cache)", "keypress",
        lambda r: r["dashboard"]["keypress_read"], timing, median)
    add("**launch** → first full screen", "launch", lambda r: r["dashboard"]["launch"], timing,
        median)
    add("first screen → in-memory working set ready (background)", None,
        lambda r: r["dashboard"]["working_set"], lambda x: common.fmt_seconds(x), num)
    add("Articles tab: scroll to the last row", "scroll", lambda r: r["dashboard"]["scroll"],
        timing, median)
    add("**dashboard session** peak resident memory", "session_rss",
        lambda r: r["dashboard"]["process_peak_rss"], lambda b: fmt_bytes(b), num)  # type: ignore
    for fmt in common.FILE_FORMATS:
        add(f"**import {fmt.upper()}** (`softpower-tui import`, end to end)", None,
            lambda r, f=fmt: r["import"][f]["ours"], timing, median)
        add(f"DuckDB raw ingest of the same {fmt.upper()} file", None,
            lambda r, f=fmt: r["import"][f]["raw"], timing, median)
        add(f"import {fmt.upper()} ÷ raw ingest", "import_ratio",
            lambda r, f=fmt: ratio(r["import"][f]["ours"]["median"],
                                   r["import"][f]["raw"]["median"]),
            lambda x: f"{x:.2f}×", num)
    add("import peak memory (JSONL · CSV · Parquet; ✓/✗ on the largest)", "import_rss",
        lambda r: [r["import"][f]["ours_rss"] for f in common.FILE_FORMATS],
        lambda b: " · ".join(fmt_bytes(x) for x in b),  # type: ignore[union-attr]
        lambda b: float(max(b)))  # type: ignore[arg-type]
    add("DuckDB raw ingest peak memory (JSONL · CSV · Parquet)", None,
        lambda r: [r["import"][f]["raw_rss"] for f in common.FILE_FORMATS],
        lambda b: " · ".join(fmt_bytes(x) for x in b), num)  # type: ignore[union-attr]
    return common.markdown_table(["figure", *labels, "target"], rows,
                                 align="l" + "r" * len(labels) + "l")


def all_results(seed: int, keep: Callable[[int], bool]) -> dict[str, dict[str, object]]:
    """Saved figures of the sizes `keep` accepts, measured with the current generator."""
    found = []
    for path in sorted((common.cache_dir() / "results").glob(f"scaling-*-s{seed}.json")):
        figures = json.loads(path.read_text(encoding="utf-8"))
        if (figures.get("generator") == common.generator_version()
                and keep(int(figures["articles"]))):
            found.append((int(figures["articles"]), size_label(int(figures["articles"])),
                          figures))
    return {label: figures for _, label, figures in sorted(found)}


def errors_of(results: dict[str, dict[str, object]]) -> list[str]:
    notes = []
    for label, figures in results.items():
        for part in PARTS:
            value = figures.get(part)
            if isinstance(value, dict):
                for key, text in value.items():
                    if key == "error" or key.endswith("_missing") or key.endswith("_mismatch"):
                        notes.append(f"- {label}, {part}: {text}")
    return notes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100k,1m,10m")
    parser.add_argument("--seed", type=int, default=common.DEFAULT_SEED)
    parser.add_argument("--runs", type=int, default=0,
                        help="timed runs per figure (default: 7 below 10M, 3 at 10M)")
    parser.add_argument("--parts", default=",".join(PARTS))
    parser.add_argument("--quick", action="store_true", help="one import run, few timed runs")
    parser.add_argument("--db", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    sizes = [common.parse_size(s) for s in args.sizes.split(",") if s.strip()]
    argv_used = list(argv if argv is not None else sys.argv[1:])
    parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    for part in parts:
        if part not in PARTS:
            parser.error(f"unknown part {part!r} (choose from {', '.join(PARTS)})")
    for n in sizes:
        label = size_label(n)
        runs = args.runs or (2 if args.quick else 3 if n >= 5_000_000 else 7)
        import_runs = 1 if (args.quick or n >= 1_000_000) else 3
        db = common.corpus(n, args.seed, log=log)
        saved = Results(f"scaling-{label}-s{args.seed}")
        previous = Results.load(saved.name).figures
        if previous.get("generator") == common.generator_version():
            saved.figures.update(previous)
        saved.figures.update({
            "articles": n, "seed": args.seed, "generator": common.generator_version(),
            "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "command": common.command_text("bench/bench_scaling.py", argv_used),
            "corpus": corpus_facts(db),
        })
        for part in parts:
            log(f"{label}: {part} …")
            if part == "view":
                saved.figures["view"] = measure_view(db, runs)
            elif part == "dashboard":
                saved.figures["dashboard"] = measure_dashboard(db, runs)
            else:
                try:
                    saved.figures["import"] = measure_import(n, args.seed, import_runs)
                except RuntimeError as exc:
                    saved.figures["import"] = {"error": str(exc).splitlines()[0]}
            saved.save()
            log(json.dumps(saved.figures[part], default=str)[:400])
    # A smoke run shows its own tiny corpus only; a real run every size from 100k up.
    results = all_results(
        args.seed, (lambda n: n in sizes) if args.quick else (lambda n: n >= 100_000)
    )
    measured = [
        f"- {label}: `{figures.get('command', '?')}`, {figures.get('measured_at', '?')}"
        for label, figures in results.items()
    ]
    body = [
        "## Scaling: every figure at each corpus size",
        "",
        "Measured (each size keeps its latest measurement):",
        "",
        *measured,
        "",
        scaling_table(results),
        "",
        "Each cell: median (range of the runs, number of runs); ✓/✗ against the issue's target. "
        "Import and raw ingest are whole processes (interpreter start included); memory is the "
        "peak resident set of the process. The view: the five most used leaf themes in the three "
        "largest regions, by week over the whole corpus, as a share of coverage per region. "
        "What grows linearly with the corpus and what does not, and why: "
        "[docs/scaling.md](scaling.md).",
    ]
    notes = errors_of(results)
    if notes:
        body += ["", "Not measured or not matching:", *notes]
    common.write_section("scaling", "\n".join(body))
    return 0


if __name__ == "__main__":
    sys.exit(main())
