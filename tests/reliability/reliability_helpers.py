"""What the reliability tests and bench/bench_stress.py share: corpora, snapshots, invariants, and
the worker processes they spawn (run this file as a script: `python reliability_helpers.py MODE …`).

A *snapshot* is what a reader can see of the database in one read-only connection: row counts of
every article table, the import log and a fingerprint of every article's content. Two snapshots
are equal exactly when a reader could not tell the databases apart through these tables.
"""

from __future__ import annotations

import json
import random
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

THEMES = (
    "united-front", "confucius-institutes", "party-training", "elite-capture", "state-media",
    "media-partnerships", "external-propaganda", "censorship",
)
COUNTRIES = ("FJ", "PG", "SB", "KE", "NG", "ZA", "DE", "FR", "SE", "BR", "AR", "IN", "PK", "EG")

SNAPSHOT_SQL = """
SELECT
    (SELECT count(*) FROM articles) AS articles,
    (SELECT count(*) FROM article_themes) AS theme_rows,
    (SELECT count(*) FROM article_countries) AS country_rows,
    (SELECT count(*) FROM article_regions) AS region_rows,
    (SELECT count(*) FROM imports) AS imports,
    (SELECT coalesce(sum(new), 0) FROM imports) AS logged_new,
    (SELECT coalesce(bit_xor(hash(id || content_hash)), 0) FROM articles) AS fingerprint
"""

CONTENT_SQL = """
SELECT coalesce(bit_xor(hash(a.id, a.title, a.published, a.content_hash,
                             (SELECT list(theme ORDER BY theme) FROM article_themes t
                              WHERE t.aid = a.aid),
                             (SELECT list(country ORDER BY country) FROM article_countries c
                              WHERE c.aid = a.aid))), 0)
FROM articles a
"""

# Each query returns one number that must be 0 in any committed state.
INVARIANTS = {
    "theme rows without their article":
        "SELECT count(*) FROM article_themes t ANTI JOIN articles a USING (aid)",
    "country rows without their article":
        "SELECT count(*) FROM article_countries t ANTI JOIN articles a USING (aid)",
    "region rows without their article":
        "SELECT count(*) FROM article_regions t ANTI JOIN articles a USING (aid)",
    "articles whose import is not in the log":
        "SELECT count(*) FROM articles a ANTI JOIN imports i USING (import_id)",
    "rejects whose import is not in the log":
        "SELECT count(*) FROM rejects r ANTI JOIN imports i USING (import_id)",
    "articles not counted as new by exactly one import (count(articles) - sum(new))":
        "SELECT (SELECT count(*) FROM articles) - (SELECT coalesce(sum(new), 0) FROM imports)",
    "imports whose counts exceed their records":
        "SELECT count(*) FROM imports WHERE new + updated + unchanged > records",
    "duplicate article ids": "SELECT count(*) - count(DISTINCT id) FROM articles",
    "missing schema_version": "SELECT CASE WHEN max(version) IS NULL THEN 1 ELSE 0 END "
                              "FROM schema_version",
}


def snapshot(con: Any) -> dict[str, int]:
    """The reader-visible state of the database through one connection."""
    row = con.sql(SNAPSHOT_SQL).fetchall()[0]
    names = ("articles", "theme_rows", "country_rows", "region_rows", "imports", "logged_new",
             "fingerprint")
    return dict(zip(names, (int(v) for v in row), strict=True))


def content(con: Any) -> int:
    """A fingerprint of every article with its themes and countries (not of the import log)."""
    return int(con.sql(CONTENT_SQL).fetchall()[0][0])


def broken_invariants(con: Any) -> list[str]:
    """The names of the invariants the database breaks (empty when it is sound)."""
    broken = [name for name, sql in INVARIANTS.items() if con.sql(sql).fetchall()[0][0] != 0]
    tables = {r[0] for r in con.sql("SELECT table_name FROM information_schema.tables").fetchall()}
    if "facts_state" in tables:
        state = con.sql("SELECT max(import_id) FROM facts_state").fetchall()[0][0]
        newest = con.sql("SELECT max(import_id) FROM imports").fetchall()[0][0]
        if state is not None and state == newest:
            checks = {
                "article_facts out of step with articles":
                    "SELECT (SELECT count(*) FROM article_facts) - (SELECT count(*) FROM articles)",
                "theme_facts out of step with article_themes":
                    "SELECT (SELECT count(*) FROM theme_facts) "
                    "- (SELECT count(*) FROM article_themes)",
                "day_counts do not add up to the articles":
                    "SELECT (SELECT coalesce(sum(articles), 0) FROM day_counts) "
                    "- (SELECT count(*) FROM articles)",
            }
            broken += [n for n, sql in checks.items() if con.sql(sql).fetchall()[0][0] != 0]
    return broken


def article(key: str, rev: int, rng: random.Random) -> dict[str, Any]:
    """One canonical record; `rev` > 0 is a changed version of the same article."""
    day = 1 + rng.randrange(28)
    month = 1 + rng.randrange(12)
    rec: dict[str, Any] = {
        "id": key,
        "title": f"Article {key}" + (f" (rev {rev})" if rev else ""),
        "source": rng.choice(("Harbour Post", "Daily Lantern", "Plains Herald")),
        "published": f"{2015 + rng.randrange(10)}-{month:02d}-{day:02d}T12:00:00Z",
        "themes": rng.sample(THEMES, rng.randrange(0, 4)),
        "countries": rng.sample(COUNTRIES, rng.randrange(0, 3)),
    }
    if rng.random() < 0.3:
        rec["summary"] = f"summary of {key}"
    return rec


def write_corpus(folder: Path, files: int, per_file: int, seed: int = 7) -> list[Path]:
    """JSONL files where each file adds `per_file` new articles and revises some earlier ones."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    keys: list[str] = []
    for k in range(files):
        lines = []
        for i in range(per_file):
            key = f"f{k}-{i}"
            keys.append(key)
            lines.append(json.dumps(article(key, 0, rng)))
        if k:
            for key in rng.sample(keys[: k * per_file], min(per_file // 5, k * per_file)):
                lines.append(json.dumps(article(key, k, rng)))
        path = folder / f"batch {k}.jsonl"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


# -- worker processes -------------------------------------------------------------------------


def _done(db: str) -> Path:
    """The file the importer creates when it has finished (readers stop once it exists)."""
    return Path(db + ".importer-done")


def _loops(db: str, loops: int) -> Any:
    """At least `loops` iterations, and on until the importer has finished."""
    i = 0
    while i < loops or not _done(db).exists():
        yield i
        i += 1


def _reader(db: str, loops: int, seed: int) -> None:
    """Snapshot the database in short read-only connections until the importer is done (and at
    least `loops` times); one JSON line each."""
    from store.db import reading

    rng = random.Random(seed)
    for _ in _loops(db, loops):
        started = time.perf_counter()
        with reading(db) as con:
            state = snapshot(con)
            broken = broken_invariants(con)
        seconds = time.perf_counter() - started
        print(json.dumps({"state": state, "broken": broken, "seconds": seconds}), flush=True)
        time.sleep(rng.random() * 0.1)


def _cli(args: list[str]) -> tuple[int, str, str]:
    from click.testing import CliRunner

    from tui.cli import main

    result = CliRunner().invoke(main, args, catch_exceptions=True)
    return result.exit_code, result.stdout, result.stderr


def _cli_reader(db: str, loops: int, seed: int) -> None:
    """Run `softpower-tui info` in a loop; print the article and import counts it showed."""
    rng = random.Random(seed)
    for _ in _loops(db, loops):
        code, out, err = _cli(["--db", db, "info"])
        shown: dict[str, Any] = {"code": code, "stderr": err[-2000:]}
        for line in out.splitlines():
            if line.startswith("articles "):
                shown["articles"] = int(line.split()[1].replace(",", ""))
            elif line.startswith("imports ("):
                shown["imports"] = int(line.split("(")[1].split(";")[0].replace(",", ""))
        print(json.dumps({"info": shown}), flush=True)
        time.sleep(rng.random() * 0.1)


def _importer(db: str, paths: list[str]) -> None:
    """Import each file in turn through the CLI; after each, print the committed snapshot."""
    from store.db import reading

    try:
        for path in paths:
            started = time.perf_counter()
            code, out, err = _cli(["--db", db, "import", path])
            seconds = time.perf_counter() - started
            if code != 0:
                print(json.dumps({"error": code, "stderr": err[-2000:]}), flush=True)
                return
            # Nobody else writes, so what this connection sees is the state the import committed.
            with reading(db) as con:
                print(json.dumps({"committed": snapshot(con), "seconds": seconds}), flush=True)
    finally:
        _done(db).touch()


def spawn(*args: str, env: dict[str, str] | None = None) -> Any:
    """Start this file as a worker process with `args`; its stdout is a pipe of JSON lines."""
    import os
    import subprocess

    full_env = {**os.environ, **(env or {})}
    return subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=full_env,
    )


def run_stress(
    folder: Path, *, readers: int, cli_readers: int, loops: int, files: int, per_file: int,
    timeout: float,
) -> dict[str, Any]:
    """One importer and reader processes on one file; returns what each saw and committed.

    The first file is imported before the readers start (so the database exists); the importer
    process imports the rest while the readers loop. Raises TimeoutError when a process outlives
    `timeout` seconds (all are killed first).
    """
    from store.db import reading

    db = folder / "stress db.duckdb"
    paths = write_corpus(folder / "corpus", files, per_file)
    code, _, err = _cli(["--db", str(db), "import", str(paths[0])])
    if code != 0:
        raise RuntimeError(f"first import failed: {err}")
    with reading(db) as con:
        committed = [snapshot(con)]
    env = {"SOFTPOWER_LOCK_TIMEOUT": str(timeout)}
    procs = [spawn("importer", str(db), *map(str, paths[1:]), env=env)]
    procs += [spawn("reader", str(db), str(loops), str(i), env=env) for i in range(readers)]
    procs += [spawn("cli-reader", str(db), str(loops), str(100 + i), env=env)
              for i in range(cli_readers)]
    deadline = time.monotonic() + timeout
    outputs: list[tuple[str, str, int]] = []
    try:
        for p in procs:
            out, err = p.communicate(timeout=max(1.0, deadline - time.monotonic()))
            outputs.append((out, err, p.returncode))
    except BaseException as exc:
        for p in procs:
            p.kill()
            p.wait()
        if isinstance(exc, Exception) and type(exc).__name__ == "TimeoutExpired":
            raise TimeoutError(f"stress processes still running after {timeout} s") from None
        raise
    events = [[json.loads(line) for line in out.splitlines() if line.strip()]
              for out, _, _ in outputs]
    committed += [e["committed"] for e in events[0] if "committed" in e]
    with reading(db) as con:
        final = snapshot(con)
        final_content = content(con)
        final_broken = broken_invariants(con)
    return {
        "db": db,
        "paths": paths,
        "committed": committed,
        "importer": events[0],
        "reads": [e for ev in events[1: 1 + readers] for e in ev],
        "info": [e["info"] for ev in events[1 + readers:] for e in ev],
        "returncodes": [rc for _, _, rc in outputs],
        "stderr": [err for _, err, _ in outputs],
        "final": final,
        "final_content": final_content,
        "final_broken": final_broken,
    }


def main(argv: list[str]) -> None:
    """`reader DB LOOPS SEED`, `cli-reader DB LOOPS SEED` or `importer DB FILE...`."""
    mode, db, *rest = argv
    if mode == "reader":
        _reader(db, int(rest[0]), int(rest[1]))
    elif mode == "cli-reader":
        _cli_reader(db, int(rest[0]), int(rest[1]))
    elif mode == "importer":
        _importer(db, rest)
    else:
        raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    main(sys.argv[1:])
