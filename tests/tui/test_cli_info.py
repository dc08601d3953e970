"""`softpower-tui info`: counts, themes, regions, the import log and the rejects."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from tui.cli import main

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "import"


def _invoke(*args: str) -> object:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_info_shows_counts_themes_regions_and_log(tmp_path: Path) -> None:
    db = tmp_path / "t.duckdb"
    _invoke("import", str(FIXTURES / "articles.jsonl"), "--db", str(db))
    result = _invoke("info", "--db", str(db))
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "articles   4 (2 without a theme)" in out
    assert "dates      2018-03-05 to 2021-07-04" in out
    assert "united-front" in out and "influence-networks" in out
    assert any(line.split() == ["Pacific", "1"] for line in out.splitlines())
    assert "articles.jsonl [jsonl]  4 records: 4 new" in out


def test_info_rejects(tmp_path: Path) -> None:
    db = tmp_path / "t.duckdb"
    src = tmp_path / "bad.jsonl"
    src.write_text('{"title": "ok", "published": "2020-01-01"}\n{broken\n[1]\n')
    _invoke("import", str(src), "--db", str(db))
    result = _invoke("info", "--rejects", "--db", str(db))
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"{src}:2: invalid JSON")
    assert lines[1] == f"{src}:3: not a JSON object but a list"
    limited = _invoke("info", "--rejects", "--limit", "1", "--db", str(db))
    assert limited.stdout.splitlines()[-1] == "… 1 more (use --limit)"


def test_info_without_database_exits_1(tmp_path: Path) -> None:
    result = _invoke("info", "--db", str(tmp_path / "none.duckdb"))
    assert result.exit_code == 1
    assert "no database at" in result.stderr


def test_theme_counts_roll_up_to_parents(tmp_path: Path) -> None:
    from store import catalog
    from store.db import reading

    db = tmp_path / "t.duckdb"
    src = tmp_path / "a.jsonl"
    src.write_text(
        '{"id": "1", "title": "a", "published": "2020-01-01", '
        '"themes": ["united-front", "party-training"]}\n'
        '{"id": "2", "title": "b", "published": "2020-01-02", "themes": ["confucius-institutes"]}\n'
        '{"id": "3", "title": "c", "published": "2020-01-03", "themes": ["state-media"]}\n'
    )
    _invoke("import", str(src), "--db", str(db))
    with reading(db) as con:
        counts = {t["id"]: t for t in catalog.theme_counts(con)}
    uf = counts["united-front"]
    parent = counts[uf["parent"]]
    assert (uf["articles"], uf["with_children"]) == (1, 1)
    # article 1 carries two children of the same parent: counted once
    assert parent["articles"] == 0 and parent["with_children"] == 2
    result = _invoke("info", "--db", str(db))
    line = next(ln for ln in result.stdout.splitlines() if ln.split()[:1] == [uf["parent"]])
    assert line.split()[1:] == ["0", "2"]
