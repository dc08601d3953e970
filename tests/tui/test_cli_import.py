"""`softpower-tui import` through click: exit codes, messages, summary line, strict mode."""

from __future__ import annotations

from pathlib import Path

import duckdb
from click.testing import CliRunner

from tui.cli import main

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "import"
GOOD = '{"title": "ok", "published": "2020-01-01"}'


def _invoke(*args: str) -> object:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def _count(db: Path) -> int:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.sql("SELECT count(*) FROM articles").fetchall()[0][0]
    finally:
        con.close()


def test_import_prints_one_summary_line(tmp_path: Path) -> None:
    db = tmp_path / "t.duckdb"
    result = _invoke("import", str(FIXTURES / "articles.jsonl"), "--db", str(db))
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "4 new, 0 updated, 0 unchanged, 0 rejected"
    again = _invoke("import", str(FIXTURES / "articles.jsonl"), "--db", str(db))
    assert again.stdout.strip() == "0 new, 0 updated, 4 unchanged, 0 rejected"


def test_db_before_the_subcommand_and_new_themes(tmp_path: Path) -> None:
    db = tmp_path / "t.duckdb"
    result = _invoke("--db", str(db), "import", str(FIXTURES / "newtheme.jsonl"))
    assert result.exit_code == 0
    assert result.stdout.strip() == "1 new, 0 updated, 0 unchanged, 0 rejected, 1 new themes"
    assert _count(db) == 1


def test_rejects_are_printed_as_file_line_reason_and_capped(tmp_path: Path) -> None:
    src = tmp_path / "bad.jsonl"
    src.write_text(GOOD + "\n" + "\n".join("{broken" for _ in range(25)) + "\n")
    result = _invoke("import", str(src), "--db", str(tmp_path / "t.duckdb"))
    assert result.exit_code == 0
    lines = result.stderr.splitlines()
    assert lines[0].startswith(f"{src}:2: invalid JSON")
    assert lines[19].startswith(f"{src}:21: ")
    assert lines[20] == "… and 5 more; see softpower-tui info --rejects"
    assert result.stdout.strip() == "1 new, 0 updated, 0 unchanged, 25 rejected"


def test_strict_exits_1_and_writes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "t.duckdb"
    _invoke("import", str(FIXTURES / "articles.jsonl"), "--db", str(db))
    src = tmp_path / "bad.jsonl"
    src.write_text(f'{GOOD}\n{{"title": "x", "published": "2021-02-30"}}\n')
    result = _invoke("import", str(src), "--strict", "--db", str(db))
    assert result.exit_code == 1
    assert f"{src}:2: " in result.stderr and "no such date" in result.stderr
    assert "nothing was written" in result.stderr
    assert _count(db) == 4


def test_bad_input_exits_1_without_traceback(tmp_path: Path) -> None:
    db = tmp_path / "t.duckdb"
    cases = [
        ([str(tmp_path / "missing.jsonl")], "no such file or folder"),
        ([str(FIXTURES / "latin1.csv")], "latin1.csv:2: not UTF-8"),
        ([str(FIXTURES / "coded.toml")], "cannot tell the format"),
        ([str(tmp_path)], "folder holds no importable files"),
        ([str(FIXTURES / "coded.csv"), "--mapping", str(tmp_path / "nope.toml")],
         "cannot read the mapping file"),
    ]
    for args, message in cases:
        result = _invoke("import", *args, "--db", str(db))
        assert result.exit_code == 1, (args, result.output)
        assert message in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.output
    assert not db.exists()


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert _invoke("import").exit_code == 2
    assert _invoke("import", "x.jsonl", "--format", "xml").exit_code == 2
    assert _invoke("import", "x.jsonl", "--theme", " ").exit_code == 2


def test_file_names_are_made_visible(tmp_path: Path) -> None:
    src = tmp_path / "evil\x1b[31m.jsonl"
    src.write_text("{broken\n")
    result = _invoke("import", str(src), "--db", str(tmp_path / "t.duckdb"))
    assert "\x1b" not in result.stderr
    assert "evil\\x1b[31m.jsonl:1: invalid JSON" in result.stderr


def test_mapping_and_theme_options(tmp_path: Path) -> None:
    db = tmp_path / "t.duckdb"
    result = _invoke("import", str(FIXTURES / "coded.csv"), "--mapping",
                     str(FIXTURES / "coded.toml"), "--theme", "my-desk", "--db", str(db))
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "3 new, 0 updated, 0 unchanged, 0 rejected, 1 new themes"


def test_waits_for_a_locked_database_and_says_so(tmp_path: Path, monkeypatch) -> None:
    db = tmp_path / "t.duckdb"
    _invoke("import", str(FIXTURES / "articles.jsonl"), "--db", str(db))
    monkeypatch.setenv("SOFTPOWER_LOCK_TIMEOUT", "1")
    import store.db

    monkeypatch.setattr(store.db, "DEFAULT_LOCK_TIMEOUT", 0.5)
    script = (
        "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
        "print('locked', flush=True); time.sleep(30)"
    )
    import subprocess
    import sys

    holder = subprocess.Popen([sys.executable, "-c", script, str(db)], stdout=subprocess.PIPE,
                              text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        result = _invoke("import", str(FIXTURES / "newtheme.jsonl"), "--db", str(db))
    finally:
        holder.kill()
        holder.wait()
    assert result.exit_code == 1
    assert "waiting for another process to release t.duckdb…" in result.stderr
    assert "still locked" in result.stderr


def test_a_mapping_given_for_jsonl_is_noted(tmp_path: Path) -> None:
    result = _invoke("import", str(FIXTURES / "articles.jsonl"), "--mapping",
                     str(FIXTURES / "coded.toml"), "--db", str(tmp_path / "t.duckdb"))
    assert result.exit_code == 0
    assert "articles.jsonl: the mapping file was not used" in result.stderr
