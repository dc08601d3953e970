"""Hostile text: Rich markup, terminal escape sequences (CSI, OSC window title and clipboard
writes), control characters, right-to-left and zero-width characters and SQL-looking text in
titles, sources, summaries, theme ids and file names.

They are stored verbatim (what goes in comes out, byte for byte) and every CLI message shows them
literally: no escape or control character reaches stdout or stderr, and markup is printed as text.
The dashboard's widgets and the export's formula neutralisation have their own tests (listed in
docs/reliability.md).
"""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner, Result

from tui.cli import main
from tui.commands.common import visible

HOSTILE = [
    "[bold]bold[/bold] [link=https://evil.example]click me[/link]",
    "[red]unclosed markup [/",
    "\x1b[31mred\x1b[0m \x1b[2J\x1b[H cleared",
    "\x1b]0;owned window title\x07",
    "\x1b]52;c;ZWNobyBwd25lZA==\x07 clipboard",
    "\x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\",
    "\x9b31m C1 CSI \x9d0;title\x9c",
    "bell\x07 backspace\x08 cr\r vt\x0b ff\x0c del\x7f",
    "\u202eevil\u202c \u200bzero\u200dwidth \u2066isolate\u2069 \ufeffbom \u200fmark",
    "'); DROP TABLE articles; --",
    "Robert'); DELETE FROM imports WHERE ('1'='1",
    '=HYPERLINK("http://evil.example","x")',
    "مرحبا שלום 中文 emoji \U0001f600",
    "two\nlines\tand a tab",
]
# Bytes that must never reach a terminal from a message: C0 controls but tab and newline, DEL,
# C1 controls (as UTF-8), bidi overrides and isolates, zero-width characters.
FORBIDDEN = [chr(c) for c in range(0x20) if c not in (0x09, 0x0A)] + [chr(0x7F)] + [
    chr(c) for c in range(0x80, 0xA0)] + [
    "\u200b", "\u200d", "\u200f", "\u202c", "\u202e", "\u2066", "\u2069", "\ufeff"]
# A file name can hold anything but '/' and NUL.
EVIL_NAME = "ev\x1b]0;pwned\x07il [bold]name \u202eftp.\x9b2J"


def run(*args: str) -> Result:
    """The CLI with colour left on, so click strips nothing: what a terminal would be sent."""
    result = CliRunner().invoke(main, list(args), catch_exceptions=True, color=True)
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        repr(result.exception))
    return result


def assert_literal(result: Result) -> None:
    """No control, escape or invisible character in stdout or stderr, and no traceback."""
    for stream in (result.stdout, result.stderr):
        assert "Traceback" not in stream
        found = sorted({f"U+{ord(c):04X}" for c in stream if c in FORBIDDEN})
        assert not found, f"{found} reached the terminal: {stream!r}"


def records(prefix: str) -> list[dict[str, str]]:
    return [{"id": f"{prefix}{i}", "title": h, "source": h, "summary": h,
             "published": "2020-01-01T00:00:00Z"} for i, h in enumerate(HOSTILE)] + [
        {"id": HOSTILE[9], "title": "SQL id", "published": "2020-01-02"}]


def stored(db: Path) -> dict[str, tuple[str, str | None, str | None]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.sql("SELECT id, title, source, summary FROM articles").fetchall()
    finally:
        con.close()
    return {r[0]: (r[1], r[2], r[3]) for r in rows}


def expected(prefix: str) -> dict[str, tuple[str, str | None, str | None]]:
    out: dict[str, tuple[str, str | None, str | None]] = {}
    for r in records(prefix):
        source = r.get("source")
        # The store trims sources and keeps titles and summaries as they are.
        out[r["id"]] = (r["title"], source.strip() or None if source else None, r.get("summary"))
    return out


def test_jsonl_round_trip_is_verbatim(tmp_path: Path) -> None:
    src = tmp_path / "hostile.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in records("j")), encoding="utf-8")
    db = tmp_path / "db.duckdb"
    result = run("--db", str(db), "import", str(src))
    assert result.exit_code == 0, result.output
    assert_literal(result)
    assert stored(db) == expected("j")
    assert {t for t, in duckdb.connect(str(db), read_only=True).sql(
        "SELECT table_name FROM information_schema.tables").fetchall()} >= {"articles", "imports"}


@pytest.mark.parametrize("newlines", [True, False], ids=["quoted-newlines", "one-line-records"])
def test_csv_round_trip_is_verbatim(tmp_path: Path, newlines: bool) -> None:
    """Both CSV readers: records on one line each (DuckDB's reader) and quoted newlines (Python's
    csv module)."""
    rows = [r for r in records("c") if newlines or "\n" not in r["title"]]
    buf = io.StringIO()
    # Quote every field: a bare carriage return outside quotes ends a record in CSV.
    writer = csv.DictWriter(buf, ["id", "title", "source", "summary", "published"],
                            lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writeheader()
    writer.writerows(rows)
    src = tmp_path / "hostile.csv"
    src.write_text(buf.getvalue(), encoding="utf-8")
    db = tmp_path / "db.duckdb"
    result = run("--db", str(db), "import", str(src))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"{len(rows)} new, 0 updated, 0 unchanged, 0 rejected")
    assert_literal(result)
    want = {k: v for k, v in expected("c").items() if newlines or "\n" not in v[0]}
    assert stored(db) == want


def test_messages_about_hostile_files_and_values_are_literal(tmp_path: Path) -> None:
    folder = tmp_path / EVIL_NAME
    folder.mkdir()
    bad_json = folder / f"{EVIL_NAME}.jsonl"
    bad_json.write_text("".join([
        json.dumps({"title": "ok", "published": "2020-01-01", "themes": ["[bold]theme[/bold]"]}),
        "\n",
        json.dumps({"title": HOSTILE[2], "published": HOSTILE[3]}), "\n",
        json.dumps({"title": "x", "published": "2020-01-01", "countries": [HOSTILE[4]]}), "\n",
    ]), encoding="utf-8")
    bad_csv = folder / f"{EVIL_NAME}.csv"
    bad_csv.write_text(
        "title,published,tone,source_country\n"
        f'ok,2020-01-01,1,KE\nx,"{HOSTILE[3]}",1,KE\ny,2020-01-01,"{HOSTILE[5]}",KE\n'
        f'z,2020-01-01,1,"{HOSTILE[6]}"\n', encoding="utf-8")
    db = tmp_path / f"{EVIL_NAME}.duckdb"
    shown_json = visible(bad_json)
    shown_csv = visible(bad_csv)

    strict = run("--db", str(db), "import", str(bad_json), "--strict")
    assert strict.exit_code == 1
    assert_literal(strict)
    assert f"{shown_json}:2: " in strict.stderr

    result = run("--db", str(db), "import", str(folder))
    assert result.exit_code == 0, result.output
    assert_literal(result)
    for where in (f"{shown_json}:2: ", f"{shown_json}:3: ", f"{shown_csv}:3: ",
                  f"{shown_csv}:4: ", f"{shown_csv}:5: "):
        assert where in result.stderr, result.stderr
    assert "[bold]name" in result.stderr  # markup printed as it is

    info = run("--db", str(db), "info")
    assert info.exit_code == 0
    assert_literal(info)
    assert "[bold]theme[/bold]" in info.stdout
    assert shown_json in info.stdout and visible(db) in info.stdout

    rejects = run("--db", str(db), "info", "--rejects")
    assert rejects.exit_code == 0
    assert_literal(rejects)
    assert len([ln for ln in rejects.stdout.splitlines() if ln.startswith(shown_csv)]) == 3

    not_utf8 = folder / f"{EVIL_NAME}.bin.jsonl"
    not_utf8.write_bytes(b'{"title": "caf\xe9"}\n')
    whole = run("--db", str(db), "import", str(not_utf8))
    assert whole.exit_code == 1
    assert_literal(whole)
    assert f"{visible(not_utf8)}:1: not UTF-8" in whole.stderr

    empty = tmp_path / f"{EVIL_NAME} empty"
    empty.mkdir()
    for args in (["import", str(empty)], ["import", str(tmp_path / f"{EVIL_NAME}.missing")],
                 ["info"]):
        out = run("--db", str(tmp_path / f"none {EVIL_NAME}.duckdb"), *args)
        assert out.exit_code == 1
        assert_literal(out)
        assert visible(EVIL_NAME) in out.stderr


def test_the_progress_line_shows_file_names_literally() -> None:
    """On a terminal the import shows a Rich progress line; markup in a file name is escaped."""
    from rich.text import Text

    from tui.commands.import_cmd import _ProgressDisplay

    display = _ProgressDisplay(enabled=True)
    display.started = time.monotonic() - 5  # past the one-second delay
    try:
        display.file(0, 2, Path(f"/data/{EVIL_NAME}.jsonl"))
        task = display._progress.tasks[0]  # type: ignore[union-attr]
        plain = Text.from_markup(task.description).plain
        assert f"{visible(EVIL_NAME)}.jsonl" in plain
        assert "[bold]name" in plain
        display.wait(f"waiting for a writer to release [link=x]{EVIL_NAME}", 1.0)
        plain = Text.from_markup(display._progress.tasks[0].description).plain  # type: ignore
        assert "[link=x]" in plain and not any(c in plain for c in FORBIDDEN)
    finally:
        display.stop()
