"""Readers cannot starve an import: a writer that finds the file locked leaves a marker beside it,
and readers hold back while a live writer's marker is fresh (store.db.WriteIntent).

Found by bench/bench_stress.py: with six processes reading in loops, some reader nearly always
held the file and the first import waited 330 s for its write lock (51 s with the marker, most of
it CPU shared with the readers, on two cores).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from reliability_helpers import write_corpus

from importers.run import run_import
from store import db as store_db
from store.db import StoreLockedError, WriteIntent, pending_marker, writer_pending

HOLDER = (
    "import duckdb, sys\n"
    "con = duckdb.connect(sys.argv[1], read_only=True)\n"
    "print('locked', flush=True)\n"
    "sys.stdin.readline()\n"
)


@pytest.fixture()
def database(tmp_path: Path) -> Path:
    corpus = write_corpus(tmp_path / "seed", files=1, per_file=20)
    path = tmp_path / "shared.duckdb"
    run_import([corpus[0]], path)
    return path


@pytest.fixture()
def other_pid() -> Iterator[int]:
    """The pid of another live process (a marker of it counts as a waiting writer)."""
    proc = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"],
                            stdin=subprocess.PIPE)
    yield proc.pid
    proc.kill()
    proc.wait()


def _mark(db: Path, pid: int, age: float = 0.0) -> Path:
    marker = pending_marker(db)
    marker.write_text(str(pid))
    if age:
        then = time.time() - age
        os.utime(marker, (then, then))
    return marker


def test_only_a_fresh_marker_of_another_live_process_counts(database: Path,
                                                              other_pid: int) -> None:
    assert not writer_pending(database)
    _mark(database, other_pid)
    assert writer_pending(database)
    _mark(database, os.getpid())
    assert not writer_pending(database)  # this process's own marker
    _mark(database, other_pid, age=store_db.PENDING_STALE_SECONDS + 5)
    assert not writer_pending(database)  # not refreshed: its writer is stuck or gone
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    _mark(database, int(dead.stdout))
    assert not writer_pending(database)  # its writer was killed


def test_a_reader_waits_while_a_writer_waits_then_reads(database: Path, other_pid: int) -> None:
    marker = _mark(database, other_pid)
    told: list[str] = []
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        if len(slept) == 3:
            marker.unlink()  # the writer is through

    con = store_db.connect(database, read_only=True, timeout=60,
                           on_wait=lambda m, w: told.append(m), sleep=sleep)
    try:
        assert con.sql("SELECT count(*) FROM articles").fetchall()[0][0] == 20
    finally:
        con.close()
    assert len(slept) == 3
    assert told and all(m == "waiting for a writer to release shared.duckdb" for m in told)


def test_a_reader_gives_up_after_the_limit_when_the_writer_never_gets_through(
    database: Path, other_pid: int
) -> None:
    _mark(database, other_pid)
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds
        os.utime(pending_marker(database))  # the writer keeps waiting

    with pytest.raises(StoreLockedError, match="still locked"):
        store_db.connect(database, read_only=True, timeout=5, sleep=sleep,
                         clock=lambda: now[0])


def test_an_import_waiting_for_the_lock_leaves_the_marker_and_removes_it(
    database: Path, tmp_path: Path
) -> None:
    corpus = write_corpus(tmp_path / "more", files=2, per_file=20)
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(database)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        seen: list[tuple[bool, str]] = []

        def on_wait(message: str, waited: float) -> None:
            marker = pending_marker(database)
            seen.append((marker.exists(), marker.read_text() if marker.exists() else ""))
            if len(seen) == 2:
                holder.stdin.write("\n")  # type: ignore[union-attr]
                holder.stdin.flush()  # type: ignore[union-attr]
                holder.wait(timeout=30)

        result = run_import([corpus[1]], database, on_wait=on_wait)
    finally:
        holder.kill()
        holder.wait()
    assert result.new == 20
    # The marker is left after the first refused attempt and names this process.
    assert seen[1] == (True, str(os.getpid()))
    assert not pending_marker(database).exists()


def test_a_write_intent_of_a_live_writer_is_not_taken_over(database: Path, other_pid: int) -> None:
    _mark(database, other_pid)
    with WriteIntent(database) as intent:
        intent.waiting()
        assert not intent.claimed
    assert pending_marker(database).read_text() == str(other_pid)
    _mark(database, other_pid, age=store_db.PENDING_STALE_SECONDS + 5)
    with WriteIntent(database) as intent:
        intent.waiting()
        assert intent.claimed
        assert pending_marker(database).read_text() == str(os.getpid())
    assert not pending_marker(database).exists()
