"""Crash safety: an import killed at any moment leaves the database as it was before that import,
a rerun converges, and killed readers (info, the dashboard) leave the file untouched."""

from __future__ import annotations

import hashlib
import os
import random
import select
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from reliability_helpers import broken_invariants, content, snapshot, write_corpus

from store.db import reading
from store.load import STAGE_PREFIX
from tui.cli import main

CLI = [sys.executable, "-c", "from tui.cli import main; main(prog_name='softpower-tui')"]
KILLS_AT_RANDOM = 10  # uniformly spread over an import's whole run
KILLS_IN_WRITE = 5  # as soon as the write transaction has started (its WAL file exists)
KILLS_ON_CREATE = 2  # an import that creates the database


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _import(db: Path, src: Path, tmp: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "TMPDIR": str(tmp)}
    return subprocess.Popen([*CLI, "--db", str(db), "import", str(src)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _run_import(db: Path, src: Path, tmp: Path) -> float:
    started = time.monotonic()
    proc = _import(db, src, tmp)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err.decode()
    return time.monotonic() - started


def _kill_after(proc: subprocess.Popen[bytes], delay: float) -> None:
    try:
        proc.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
    proc.wait()


def _kill_in_write(proc: subprocess.Popen[bytes], db: Path, extra: float) -> None:
    wal = Path(str(db) + ".wal")
    while proc.poll() is None and not wal.exists():
        time.sleep(0.001)
    time.sleep(extra)
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    proc.wait()


def _state(db: Path) -> tuple[dict[str, int], int, list[str]]:
    with reading(db) as con:
        return snapshot(con), content(con), broken_invariants(con)


def test_an_import_killed_at_any_moment_leaves_before_or_after(tmp_path: Path) -> None:
    rng = random.Random(2024)
    stage_tmp = tmp_path / "tmp"
    stage_tmp.mkdir()
    corpus = write_corpus(tmp_path / "in put", files=2, per_file=1000)
    pristine = tmp_path / "pristine.duckdb"
    _run_import(pristine, corpus[0], stage_tmp)
    before, before_content, _ = _state(pristine)
    # The uninterrupted import: its duration paces the kills, its result is the reference.
    reference = tmp_path / "reference.duckdb"
    shutil.copy(pristine, reference)
    duration = _run_import(reference, corpus[1], stage_tmp)
    after, after_content, _ = _state(reference)
    assert after["articles"] == 2000 and before["articles"] == 1000

    db = tmp_path / "dä tabase.duckdb"
    shutil.copy(pristine, db)
    outcomes = {"before": 0, "after": 0}
    plan = [("random", (i + rng.random()) / KILLS_AT_RANDOM * duration)
            for i in range(KILLS_AT_RANDOM)]
    plan += [("write", rng.random() * 0.05) for _ in range(KILLS_IN_WRITE)]
    rng.shuffle(plan)
    for kind, when in plan:
        proc = _import(db, corpus[1], stage_tmp)
        if kind == "random":
            _kill_after(proc, when)
        else:
            _kill_in_write(proc, db, when)
        state, state_content, broken = _state(db)
        assert broken == [], (kind, when, broken)
        if state == before and state_content == before_content:
            outcomes["before"] += 1
        else:
            # Killed after the commit: everything landed (the import log may hold one more row).
            assert state_content == after_content, (kind, when, state)
            assert state["articles"] == after["articles"]
            outcomes["after"] += 1
            shutil.copy(pristine, db)  # the next kill should again meet a whole import to do
            Path(str(db) + ".wal").unlink(missing_ok=True)
    assert outcomes["before"] >= 1
    # What killed imports leave behind is private to the user, and the next import sweeps it.
    for left in stage_tmp.glob(f"{STAGE_PREFIX}*"):
        assert stat.S_IMODE(left.stat().st_mode) == 0o700
    _run_import(db, corpus[1], stage_tmp)
    assert list(stage_tmp.glob(f"{STAGE_PREFIX}*")) == []
    state, state_content, broken = _state(db)
    assert broken == []
    assert state_content == after_content
    assert {k: v for k, v in state.items() if k != "imports"} == {
        k: v for k, v in after.items() if k != "imports"
    }


def test_an_import_that_creates_the_database_killed_leaves_nothing_or_a_usable_file(
    tmp_path: Path,
) -> None:
    rng = random.Random(7)
    corpus = write_corpus(tmp_path / "in", files=1, per_file=300)
    reference = tmp_path / "reference.duckdb"
    duration = _run_import(reference, corpus[0], tmp_path)
    with reading(reference) as con:
        expected = content(con)
    for i in range(KILLS_ON_CREATE):
        db = tmp_path / f"fresh{i}.duckdb"
        _kill_after(_import(db, corpus[0], tmp_path), duration * (0.4 + 0.6 * rng.random()))
        if db.exists():
            # Whatever the moment, the file opens and is empty or complete; `info` works on it.
            with reading(db) as con:
                tables = {r[0] for r in con.sql(
                    "SELECT table_name FROM information_schema.tables").fetchall()}
                if "articles" in tables:
                    assert broken_invariants(con) == []
                    count = snapshot(con)["articles"]
                    assert count in (0, 300)
            info = CliRunner().invoke(main, ["--db", str(db), "info"])
            assert info.exit_code == 0, info.output
        _run_import(db, corpus[0], tmp_path)
        with reading(db) as con:
            assert content(con) == expected
            assert broken_invariants(con) == []


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT, signal.SIGTERM])
def test_a_killed_reader_leaves_the_file_untouched(tmp_path: Path, sig: signal.Signals) -> None:
    """`info` interrupted at some moment; (Ctrl+C while Python is still loading the program's
    modules prints Python's own KeyboardInterrupt report, so only the file is checked then)."""
    corpus = write_corpus(tmp_path / "in", files=1, per_file=300)
    db = tmp_path / "db.duckdb"
    _run_import(db, corpus[0], tmp_path)
    digest = _sha(db)
    for delay in (0.4, 0.9):
        proc = subprocess.Popen([*CLI, "--db", str(db), "info"], stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)
        try:
            proc.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
        if sig != signal.SIGINT:
            assert b"Traceback" not in err
        assert _sha(db) == digest
        assert not Path(str(db) + ".wal").exists()


def test_the_dashboard_hung_up_leaves_the_file_untouched(tmp_path: Path) -> None:
    """SIGHUP (a dropped SSH connection) to a running dashboard: it ends, the file is as it was."""
    import pty

    corpus = write_corpus(tmp_path / "in", files=1, per_file=300)
    db = tmp_path / "db.duckdb"
    _run_import(db, corpus[0], tmp_path)
    digest = _sha(db)
    pid, fd = pty.fork()
    if pid == 0:  # the child: the dashboard on a pseudo-terminal
        os.environ["TERM"] = "xterm-256color"
        os.execv(sys.executable, [*CLI, "--db", str(db)])
    output = b""

    def drain(seconds: float) -> bytes:
        ready, _, _ = select.select([fd], [], [], seconds)
        if not ready:
            return b""
        try:
            return os.read(fd, 65536)
        except OSError:
            time.sleep(seconds)
            return b""

    try:
        deadline = time.monotonic() + 60
        while b"united" not in output.lower() and time.monotonic() < deadline:
            output += drain(0.1)
        os.kill(pid, signal.SIGHUP)
        for _ in range(600):
            done, _status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            drain(0.05)
        else:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            pytest.fail("the dashboard did not end on SIGHUP")
    finally:
        os.close(fd)
    assert _sha(db) == digest
    assert not Path(str(db) + ".wal").exists()
