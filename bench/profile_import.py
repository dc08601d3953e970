"""Where an import's time goes: each SQL statement of a whole import, beside two baselines.

    uv run --group bench python bench/profile_import.py [--file PATH] [--runs N] [--top N]

Every round, in one process and in turn:

- *raw*: DuckDB's own reader into a plain table of a fresh file (the baseline of
  `bench_import.py`);
- *stage and copy*: the same reader into an in-memory database, then that table copied into a
  fresh file in one transaction. This is what staging before writing costs (DESIGN.md: an import
  parses and stages everything, then writes in one short transaction) with no checks, no
  normalisation and no table but one;
- *the tables, unchecked*: the same staging, then the tables DESIGN.md asks every import to
  write (articles, and the article-theme, article-country and article-region tables) written in
  one transaction: no check, no normalisation, no derived id or content hash, no fact table.
  What the layout costs before an import does any of the work the issue asks of it;
- *ours*: the whole import (`importers.run.run_import`) into a fresh database, each statement
  of its staging connection timed (wall and the process's CPU time while it ran).

Prints medians: the four totals and their ratios to raw, then the slowest statements. A tool
for deciding where to work, not a section of docs/benchmarks.md; the default file is the 1M JSONL
file of `bench_import.py` (generated when absent).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import duckdb

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

import bench_import  # noqa: E402

import store.load as load  # noqa: E402
from store.taxonomy import load_region_map  # noqa: E402

# (wall, cpu, statement) of the statements of the import being profiled
_timings: list[tuple[float, float, str]] = []


def _label(sql: str) -> str:
    return " ".join(str(sql).split())[:100]


def _timed(label: str, call: Any, *args: Any, **kwargs: Any) -> Any:
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        return call(*args, **kwargs)
    finally:
        _timings.append((time.perf_counter() - wall, time.process_time() - cpu, label))


class _Relation:
    """A relation whose fetch is timed (a relation runs when it is fetched)."""

    def __init__(self, relation: duckdb.DuckDBPyRelation, label: str) -> None:
        self._relation, self._label = relation, label

    def fetchall(self) -> list[Any]:
        return _timed(self._label, self._relation.fetchall)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._relation, name)


class _Connection:
    """The staging connection with every statement timed."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._con = con

    def execute(self, sql: str, *args: Any, **kwargs: Any) -> Any:
        return _timed(_label(sql), self._con.execute, sql, *args, **kwargs)

    def sql(self, sql: str, *args: Any, **kwargs: Any) -> _Relation:
        return _Relation(self._con.sql(sql, *args, **kwargs), "(query) " + _label(sql))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)


def _connect(*args: Any, **kwargs: Any) -> _Connection:
    return _Connection(duckdb.connect(*args, **kwargs))


def _staged_then(path: Path, reader: str, work: Path, statements: list[str],
                 for_tables: bool = False) -> None:
    """The reader into a table `staged` of an in-memory database, then `statements` (which
    write into `target`, a fresh file) in one transaction. `for_tables` readies what the
    article tables are made from: CSV's lists split at ';' as they are read, the region map
    beside them, and UTC for the timestamps."""
    con = duckdb.connect(":memory:")
    con.execute("SET preserve_insertion_order = false")
    select = "*"
    if for_tables:
        con.execute("SET TimeZone = 'UTC'")
        regions = load_region_map().select(["country", "region"]).to_arrow()
        con.register("_regions", regions)
        con.execute("CREATE TABLE region_map AS SELECT * FROM _regions")
        if reader == "read_csv":
            select = ("* REPLACE (string_split(themes, ';') AS themes, "
                      "string_split(countries, ';') AS countries)")
    con.execute(f"CREATE TABLE staged AS SELECT {select} FROM {reader}(?)", [str(path)])
    con.execute("ATTACH $path AS target", {"path": str(work / "target.duckdb")})
    con.execute("BEGIN TRANSACTION")
    for statement in statements:
        con.execute(statement)
    con.execute("COMMIT")
    con.execute("DETACH target")
    con.close()


def _stage_and_copy(path: Path, reader: str, work: Path) -> None:
    """The reader into an in-memory database, then one copy into a fresh file."""
    _staged_then(path, reader, work, ["CREATE TABLE target.t AS SELECT * FROM staged"])


# DESIGN.md's tables of an import's articles, from `staged` with no check or normalisation
_UNCHECKED_TABLES = [
    "CREATE TABLE target.articles AS SELECT rowid AS aid, id, url, title, source, "
    "published::TIMESTAMPTZ AS published, published::TIMESTAMPTZ::DATE AS day, "
    "source_country, language, tone, summary FROM staged",
    "CREATE TABLE target.article_themes AS "
    "SELECT rowid AS aid, unnest(themes) AS theme FROM staged",
    "CREATE TABLE target.article_countries AS "
    "SELECT rowid AS aid, unnest(countries) AS country FROM staged",
    "CREATE TABLE target.article_regions AS SELECT DISTINCT c.aid, m.region "
    "FROM (SELECT rowid AS aid, unnest(countries) AS country FROM staged) c "
    "JOIN region_map m USING (country)",
]


def _stage_and_tables(path: Path, reader: str, work: Path) -> None:
    """The reader into an in-memory database, then the layout's tables written unchecked."""
    _staged_then(path, reader, work, _UNCHECKED_TABLES, for_tables=True)


def _timed_run(run: Any, path: Path) -> float:
    """Wall seconds of `run(path, workdir)` in a fresh working folder."""
    work = Path(tempfile.mkdtemp(prefix="profile-import-"))
    try:
        start = time.perf_counter()
        run(path, work)
        return time.perf_counter() - start
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, default=None,
                        help="the file to import (.jsonl, .csv or .parquet; default: the 1M "
                             "JSONL file of bench_import.py)")
    parser.add_argument("--runs", type=int, default=3, help="rounds (each of the three once)")
    parser.add_argument("--top", type=int, default=16, help="statements to list")
    args = parser.parse_args()
    path = (args.file or bench_import.corpus_files(1_000_000)["jsonl"]).resolve()
    if not path.exists():
        raise SystemExit(f"{path}: no such file")
    fmt = path.suffix.lstrip(".")
    if fmt not in bench_import.FORMATS:
        raise SystemExit(f"{path}: expected a .jsonl, .csv or .parquet file")
    load.duckdb = SimpleNamespace(**{  # type: ignore[assignment]
        name: getattr(duckdb, name) for name in dir(duckdb) if not name.startswith("__")
    } | {"connect": _connect})
    runs = {
        "raw": lambda p, w: bench_import.raw_ingest(fmt, p, w),
        "stage and copy": lambda p, w: _stage_and_copy(p, bench_import.READERS[fmt], w),
        "tables, unchecked": lambda p, w: _stage_and_tables(p, bench_import.READERS[fmt], w),
        "ours": bench_import.our_import,
    }
    totals: dict[str, list[float]] = defaultdict(list)
    statements: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for _ in range(max(1, args.runs)):
        for name, run in runs.items():
            _timings.clear()
            totals[name].append(_timed_run(run, path))
        per_run: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
        for w, c, label in _timings:
            per_run[label][0] += w
            per_run[label][1] += c
        for label, (w, c) in per_run.items():
            statements[label].append((w, c))
        totals["ours: statements"].append(sum(w for w, _, _ in _timings))
    raw = statistics.median(totals["raw"])
    print(f"{path.name}, {args.runs} rounds, medians:")
    for name, values in totals.items():
        median = statistics.median(values)
        print(f"  {name:18s} {median:6.2f} s  {median / raw:5.2f}x raw")
    print("\nslowest statements of ours (median wall s, CPU s):")
    rows = sorted(((statistics.median(w for w, _ in v), statistics.median(c for _, c in v), k)
                   for k, v in statements.items()), reverse=True)
    for wall, cpu, label in rows[:args.top]:
        print(f"  {wall:5.2f} {cpu:5.2f}  {label}")


if __name__ == "__main__":
    main()
