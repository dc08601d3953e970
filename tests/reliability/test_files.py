"""Files: the database is created with the user's umask (never world-writable unless the umask
says so), input in a read-only folder imports, a database on a read-only path fails with a clear
message, and paths with spaces and non-ASCII characters work. (Exports have their own tests, see
docs/reliability.md.)

As root, permission bits do not stop anything, so "read-only" here is the immutable attribute
(`chattr +i`), which stops root too; as another user it is `chmod a-w`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import stat
import subprocess
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from tui.cli import main

GOOD = "".join(json.dumps({"id": f"a{i}", "title": f"T {i}", "published": "2020-01-01",
                           "countries": ["KE"]}) + "\n" for i in range(3))


@dataclass
class Done:
    returncode: int
    stdout: str
    stderr: str


def cli(*args: str, umask: int = 0o022) -> Done:
    """The command line in this process, under `umask` (restored after)."""
    old = os.umask(umask)
    try:
        result = CliRunner().invoke(main, list(args), catch_exceptions=True)
    finally:
        os.umask(old)
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        repr(result.exception))
    assert "Traceback" not in result.output
    return Done(result.exit_code, result.stdout, result.stderr)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[None]:
    """Make `path` (file or folder) unwritable for this process, root included; undo after."""
    if os.geteuid() == 0:
        if shutil.which("chattr") is None:
            pytest.skip("running as root without chattr: cannot make a path read-only for root")
        done = subprocess.run(["chattr", "+i", str(path)], capture_output=True, text=True)
        if done.returncode != 0:
            pytest.skip(f"running as root and this file system has no immutable attribute "
                        f"({done.stderr.strip()})")
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", str(path)], check=True)
    else:
        old = mode(path)
        path.chmod(old & ~0o222)
        try:
            yield
        finally:
            path.chmod(old)


@pytest.mark.parametrize("umask", [0o022, 0o027, 0o077], ids=["022", "027", "077"])
def test_the_database_is_created_with_the_users_umask(tmp_path: Path, umask: int) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text(GOOD)
    db = tmp_path / "new.duckdb"
    done = cli("--db", str(db), "import", str(src), umask=umask)
    assert done.returncode == 0, done.stderr
    assert mode(db) == 0o666 & ~umask
    assert not mode(db) & stat.S_IWOTH
    sample = tmp_path / "sample.duckdb"
    done = cli("--db", str(sample), "sample", "--articles", "50", umask=umask)
    assert done.returncode == 0, done.stderr
    assert mode(sample) == 0o666 & ~umask


def test_an_import_keeps_the_mode_of_an_existing_database(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text(GOOD)
    db = tmp_path / "db.duckdb"
    assert cli("--db", str(db), "import", str(src)).returncode == 0
    db.chmod(0o600)
    more = tmp_path / "more.jsonl"
    more.write_text(GOOD.replace('"a', '"b'))
    assert cli("--db", str(db), "import", str(more)).returncode == 0
    assert mode(db) == 0o600


def test_files_in_a_read_only_folder_import(tmp_path: Path) -> None:
    """Nothing is written beside the input: JSON Lines, CSV and a zipped GKG file."""
    folder = tmp_path / "vendor drop"
    folder.mkdir()
    (folder / "a.jsonl").write_text(GOOD)
    (folder / "b.csv").write_text("id,title,published\nc1,x,2020-01-01\n")
    fields = [""] * 27
    fields[:5] = ["20200318104500-1", "20200318104500", "1", "ex.com", "https://ex.com/1"]
    with zipfile.ZipFile(folder / "20200318104500.gkg.csv.zip", "w") as archive:
        archive.writestr("20200318104500.gkg.csv", "\t".join(fields) + "\n")
    db = tmp_path / "db.duckdb"
    with read_only(folder):
        done = cli("--db", str(db), "import", str(folder))
        assert sorted(p.name for p in folder.iterdir()) == [
            "20200318104500.gkg.csv.zip", "a.jsonl", "b.csv"]
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().startswith("5 new, 0 updated, 0 unchanged, 0 rejected")


def test_a_database_in_a_read_only_folder_is_a_clear_error(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text(GOOD)
    folder = tmp_path / "shared"
    folder.mkdir()
    db = folder / "db.duckdb"
    with read_only(folder):
        done = cli("--db", str(db), "import", str(src))
    assert done.returncode == 1
    assert f"error: cannot open database {db}:" in done.stderr, done.stderr
    assert not db.exists()


def test_a_read_only_database_refuses_imports_clearly_and_still_reads(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text(GOOD)
    db = tmp_path / "db.duckdb"
    assert cli("--db", str(db), "import", str(src)).returncode == 0
    before = sha256(db)
    more = tmp_path / "more.jsonl"
    more.write_text(GOOD.replace('"a', '"b'))
    with read_only(db):
        done = cli("--db", str(db), "import", str(more))
        info = cli("--db", str(db), "info")
    assert done.returncode == 1
    assert f"error: cannot open database {db}:" in done.stderr, done.stderr
    assert sha256(db) == before
    assert info.returncode == 0, info.stderr
    assert "articles   3 " in info.stdout


def test_a_database_path_through_a_file_is_a_clear_error(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text(GOOD)
    blocker = tmp_path / "not a folder"
    blocker.write_text("")
    done = cli("--db", str(blocker / "db.duckdb"), "import", str(src))
    assert done.returncode == 1
    assert str(blocker) in done.stderr and done.stderr.startswith("error: "), done.stderr


def test_paths_with_spaces_and_non_ascii_characters(tmp_path: Path) -> None:
    folder = tmp_path / "données 2020 — копия"
    folder.mkdir()
    src = folder / "статьи über 中文 ü.jsonl"
    src.write_text(GOOD + '{"title": "bad"}\n')
    db = folder / "base de données.duckdb"
    done = cli("--db", str(db), "import", str(src))
    assert done.returncode == 0, done.stderr
    assert f"{src}:4: " in done.stderr
    info = cli("--db", str(db), "info")
    assert info.returncode == 0 and str(src) in info.stdout and str(db) in info.stdout
    rejects = cli("--db", str(db), "info", "--rejects")
    assert rejects.stdout.startswith(f"{src}:4: ")
