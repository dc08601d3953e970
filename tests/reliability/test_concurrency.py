"""DESIGN §4: readers and an import share one file; waits are announced, bounded and clean; a reader
sees the data before an import or after it, never a part of it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from reliability_helpers import content, run_stress, snapshot, write_corpus

from importers.run import run_import
from store.db import reading
from tui.cli import main

CLI = [sys.executable, "-c", "from tui.cli import main; main(prog_name='softpower-tui')"]
HOLDER = (
    "import duckdb, sys\n"
    "con = duckdb.connect(sys.argv[1], read_only=sys.argv[2] == 'ro')\n"
    "print('locked', flush=True)\n"
    "sys.stdin.readline()\n"
    "con.close()\n"
)


class Holder:
    """A process that holds the database (read-only or read-write) until told to let go."""

    def __init__(self, db: Path, mode: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", HOLDER, str(db), mode],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        assert self.proc.stdout is not None
        assert self.proc.stdout.readline().strip() == "locked"

    def release(self) -> None:
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.write("\n")
            self.proc.stdin.flush()
            self.proc.wait(timeout=30)

    def __enter__(self) -> Holder:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


def _invoke(*args: str) -> object:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture()
def db(tmp_path: Path) -> Path:
    path = tmp_path / "shared.duckdb"
    corpus = write_corpus(tmp_path / "seed", files=1, per_file=50)
    assert _invoke("--db", str(path), "import", str(corpus[0])).exit_code == 0
    return path


def test_stress_readers_see_only_committed_states(tmp_path: Path) -> None:
    """Two store readers and one `info` reader loop while five imports land on the same file."""
    files, per_file = 6, 500
    r = run_stress(tmp_path, readers=2, cli_readers=1, loops=20, files=files,
                   per_file=per_file, timeout=240)
    assert r["returncodes"] == [0] * 4, r["stderr"]
    assert len(r["committed"]) == files, r["importer"]
    committed = r["committed"]
    # Every read succeeded, saw a sound database, and saw one of the committed states exactly.
    # (Readers loop until the importer is done, so between them they see several states.)
    assert len(r["reads"]) >= 2 * 20
    for read in r["reads"]:
        assert read["broken"] == []
        assert read["state"] in committed
    assert len({committed.index(read["state"]) for read in r["reads"]}) >= 2
    assert len(r["info"]) >= 20
    shown = {(s["articles"], s["imports"]) for s in committed}
    for info in r["info"]:
        assert info["code"] == 0, info["stderr"]
        assert (info["articles"], info["imports"]) in shown
    # The final state is exact: every article once, and the same content as a quiet import.
    assert r["final"] == committed[-1]
    assert r["final"]["articles"] == files * per_file
    assert r["final_broken"] == []
    quiet = tmp_path / "quiet.duckdb"
    for path in r["paths"]:
        run_import([path], quiet)
    with reading(quiet) as con:
        assert content(con) == r["final_content"]
        assert snapshot(con) == r["final"]


def test_an_import_stages_everything_before_it_waits_for_the_lock(
    tmp_path: Path, db: Path
) -> None:
    """The write lock is wanted only once every record is read and checked."""
    corpus = write_corpus(tmp_path / "more", files=2, per_file=400)
    events: list[tuple[str, object]] = []
    with Holder(db, "ro") as holder:

        def on_wait(message: str, waited: float) -> None:
            events.append(("wait", message))
            holder.release()

        result = run_import(
            [corpus[1]], db,
            on_rows=lambda n: events.append(("rows", n)),
            on_phase=lambda text: events.append(("phase", text)),
            on_wait=on_wait,
        )
    first_wait = next(i for i, e in enumerate(events) if e[0] == "wait")
    before = events[:first_wait]
    assert sum(n for kind, n in before if kind == "rows") == 400 + 80
    assert ("phase", "writing to the database") in before
    assert all(kind == "wait" for kind, _ in events[first_wait:])
    assert result.new + result.updated + result.unchanged == 480 and result.rejected == 0


def test_info_waits_for_a_writer_says_so_and_then_reads(db: Path) -> None:
    with Holder(db, "rw") as holder:
        info = subprocess.Popen(
            [*CLI, "--db", str(db), "info"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "SOFTPOWER_LOCK_TIMEOUT": "120"},
        )
        assert info.stderr is not None
        line = info.stderr.readline()
        holder.release()
        out, err = info.communicate(timeout=120)
    assert line.startswith("waiting for a writer to release shared.duckdb… (giving up after 120 s;")
    assert "SOFTPOWER_LOCK_TIMEOUT sets the limit" in line
    assert info.returncode == 0, err
    assert "articles   50 " in out
    assert err == ""


def test_info_gives_up_after_the_limit_with_a_clear_message(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOFTPOWER_LOCK_TIMEOUT", "0.3")
    with Holder(db, "rw"):
        result = CliRunner().invoke(main, ["--db", str(db), "info"])
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0].startswith("waiting for a writer to release shared.duckdb…")
    assert lines[-1].startswith(f"error: database {db} is still locked by another process")
    assert "SOFTPOWER_LOCK_TIMEOUT" in lines[-1]
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_import_gives_up_after_the_limit_and_writes_nothing(
    tmp_path: Path, db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = write_corpus(tmp_path / "more", files=2, per_file=30)
    with reading(db) as con:
        before = snapshot(con)
    monkeypatch.setenv("SOFTPOWER_LOCK_TIMEOUT", "0.3")
    with Holder(db, "ro"):
        result = CliRunner().invoke(main, ["--db", str(db), "import", str(corpus[1])])
    assert result.exit_code == 1
    assert "waiting for another process to release shared.duckdb…" in result.stderr
    assert "still locked" in result.stderr
    assert "Traceback" not in result.output
    with reading(db) as con:
        assert snapshot(con) == before


def test_a_bad_lock_timeout_is_a_clear_error(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOFTPOWER_LOCK_TIMEOUT", "soon")
    result = CliRunner().invoke(main, ["--db", str(db), "info"])
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "error: SOFTPOWER_LOCK_TIMEOUT='soon' is not a number of seconds (e.g. 30)"
    )
