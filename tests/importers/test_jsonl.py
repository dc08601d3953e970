"""The canonical JSON Lines reader: round trip, idempotence, updates, validation by line, gzip."""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

import duckdb
import pytest

from importers.base import ImportFormatError, ReadOptions
from importers.run import ImportAborted, run_import

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "import"


def _rows(db: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.sql(sql).fetchall()
    finally:
        con.close()


def _snapshot(db: Path) -> dict[str, list[tuple]]:
    tables = ("articles", "article_themes", "article_countries", "article_regions", "themes",
              "imports", "rejects")
    return {t: sorted(map(repr, _rows(db, f"SELECT * FROM {t}"))) for t in tables}


def test_round_trip(tmp_path: Path) -> None:
    db = tmp_path / "t.duckdb"
    result = run_import([FIXTURES / "articles.jsonl"], db)
    assert (result.new, result.updated, result.unchanged, result.rejected) == (4, 0, 0, 0)
    arts = dict(
        (r[0], r[1:])
        for r in _rows(db, "SELECT id, title, published::VARCHAR, day::VARCHAR, tone, summary "
                           "FROM articles")
    )
    assert arts["a1"] == ("United Front work in Fiji", "2018-03-05 00:00:00", "2018-03-05", -1.5,
                          None)
    # +02:00 offset → UTC
    assert arts["a2"][1] == "2019-06-01 08:30:00"
    assert arts["a2"][4] == "A [bold]summary[/bold]"
    # no offset means UTC; an id derived from the URL for the record without one
    assert arts["a4"][1] == "2021-07-04 12:00:00"
    assert any(k.startswith("url-") for k in arts)
    assert sorted(_rows(db, "SELECT theme FROM article_themes JOIN articles USING (aid) "
                            "WHERE id = 'a2'")) == [("censorship",), ("confucius-institutes",)]
    assert _rows(db, "SELECT region FROM article_regions JOIN articles USING (aid) "
                     "WHERE id = 'a1'") == [("Pacific",)]
    imports = _rows(db, "SELECT path, format, sha256, records, new FROM imports")
    digest = hashlib.sha256((FIXTURES / "articles.jsonl").read_bytes()).hexdigest()
    assert imports == [(str(FIXTURES / "articles.jsonl"), "jsonl", digest, 4, 4)]


def test_reimport_changes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "t.duckdb"
    run_import([FIXTURES / "articles.jsonl"], db)
    before = _rows(db, "SELECT * FROM articles ORDER BY aid")
    again = run_import([FIXTURES / "articles.jsonl"], db)
    assert (again.new, again.updated, again.unchanged, again.rejected) == (0, 0, 4, 0)
    assert _rows(db, "SELECT * FROM articles ORDER BY aid") == before


def test_changed_record_counts_as_updated(tmp_path: Path) -> None:
    db = tmp_path / "t.duckdb"
    src = tmp_path / "a.jsonl"
    src.write_text('{"id": "x", "title": "Old", "published": "2020-01-01", "themes": ["a"]}\n'
                   '{"id": "y", "title": "Same", "published": "2020-01-01"}\n')
    run_import([src], db)
    src.write_text('{"id": "x", "title": "New", "published": "2020-01-01", "themes": ["b"]}\n'
                   '{"id": "y", "title": "Same", "published": "2020-01-01"}\n')
    result = run_import([src], db)
    assert (result.new, result.updated, result.unchanged) == (0, 1, 1)
    assert _rows(db, "SELECT title FROM articles WHERE id = 'x'") == [("New",)]
    assert _rows(db, "SELECT theme FROM article_themes JOIN articles USING (aid) "
                     "WHERE id = 'x'") == [("b",)]


GOOD = '{"title": "ok", "published": "2020-01-01"}'

# (line content, expected words in the reason)
BAD_LINES = [
    ('{"title": "x", "published": "2020-01-01"', "invalid JSON"),
    ("not json at all", "invalid JSON"),
    ('["title", "published"]', "not a JSON object but a list"),
    ('"just a string"', "not a JSON object but a string"),
    ('{"published": "2020-01-01"}', 'missing required field "title"'),
    ('{"title": "x"}', 'missing required field "published"'),
    ('{"title": null, "published": "2020-01-01"}', 'missing required field "title"'),
    ('{"title": "x", "published": "2021-02-30"}', "no such date"),
    ('{"title": "x", "published": "yesterday"}', "not a date or ISO-8601 timestamp"),
    ('{"title": "x", "published": "infinity"}', "not a date or ISO-8601 timestamp"),
    ('{"title": "x", "published": 20200101}', '"published" must be a string'),
    ('{"title": "x", "published": "2020-01-01", "themes": "united-front"}',
     '"themes" must be a list of strings, not a string'),
    ('{"title": "x", "published": "2020-01-01", "themes": [["a"]]}',
     '"themes" must be a list of strings, but holds a list'),
    ('{"title": "x", "published": "2020-01-01", "countries": {"CN": 1}}',
     '"countries" must be a list of strings, not an object'),
    ('{"title": "x", "published": "2020-01-01", "tone": "very negative"}',
     '"tone" must be a number, not a string'),
    ('{"title": "x", "published": "2020-01-01", "tone": true}', '"tone" must be a number'),
    ('{"title": {"text": "x"}, "published": "2020-01-01"}', '"title" must be a string'),
    ('{"title": "x", "published": "2020-01-01", "countries": ["XX"]}',
     "country XX is not an ISO 3166-1 alpha-2 code"),
]


@pytest.mark.parametrize(("content", "reason"), BAD_LINES, ids=[r for _, r in BAD_LINES])
def test_validation_names_the_physical_line(tmp_path: Path, content: str, reason: str) -> None:
    src = tmp_path / "bad.jsonl"
    # the bad record sits on physical line 4, after a blank line
    second, third = GOOD.replace('ok', 'ok2'), GOOD.replace('ok', 'ok3')
    src.write_text(f"{GOOD}\n{second}\n\n{content}\n{third}\n")
    result = run_import([src], tmp_path / "t.duckdb")
    assert result.new == 3
    assert len(result.rejects) == 1
    reject = result.rejects[0]
    assert (reject.file, reject.line) == (str(src), 4)
    assert reason in reject.reason
    assert _rows(tmp_path / "t.duckdb", "SELECT file, line FROM rejects") == [(str(src), 4)]


def test_lenient_values_are_accepted(tmp_path: Path) -> None:
    src = tmp_path / "ok.jsonl"
    src.write_text(
        '{"title": "[markup] \\"quoted\\" caf\\u00e9", "published": "2020-01-01T00:00:00.5-05:00",'
        ' "themes": ["a", null], "tone": "1.25", "unknown_field": 1}\n'
        '  \n'
        '{"title": "", "published": "2020-01-02", "regions": ["Pacific"]}\n'
    )
    db = tmp_path / "t.duckdb"
    result = run_import([src], db)
    assert (result.new, result.rejected) == (2, 0)
    assert sorted(_rows(db, "SELECT title, tone, published::VARCHAR FROM articles")) == [
        ("", None, "2020-01-02 00:00:00"),
        ('[markup] "quoted" café', 1.25, "2020-01-01 05:00:00.5"),
    ]


def test_strict_writes_nothing_and_names_the_line(tmp_path: Path) -> None:
    db = tmp_path / "t.duckdb"
    run_import([FIXTURES / "articles.jsonl"], db)
    before = _snapshot(db)
    src = tmp_path / "bad.jsonl"
    src.write_text(f'{GOOD}\n{{"title": "x", "published": "2021-02-30"}}\n')
    with pytest.raises(ImportAborted) as info:
        run_import([src], db, options=ReadOptions(strict=True))
    assert info.value.reject.line == 2
    assert _snapshot(db) == before


def test_strict_stops_on_store_level_problems_too(tmp_path: Path) -> None:
    db = tmp_path / "t.duckdb"
    run_import([FIXTURES / "articles.jsonl"], db)
    before = _snapshot(db)
    src = tmp_path / "bad.jsonl"
    src.write_text(f'{GOOD}\n{{"title": "x", "published": "2020-01-01", "countries": ["ZZ"]}}\n')
    with pytest.raises(ImportAborted) as info:
        run_import([src], db, options=ReadOptions(strict=True))
    assert info.value.reject.line == 2
    assert _snapshot(db) == before


def test_gzip_and_theme_option(tmp_path: Path) -> None:
    src = tmp_path / "a.jsonl.gz"
    with gzip.open(src, "wt", encoding="utf-8") as fh:
        for i in range(5):
            fh.write(json.dumps({"id": f"g{i}", "title": f"t{i}", "published": "2020-01-01",
                                 "themes": ["state-media"] if i % 2 else []}) + "\n")
    db = tmp_path / "t.duckdb"
    result = run_import([src], db, options=ReadOptions(theme="my-own-theme"))
    assert (result.new, result.new_themes) == (5, 1)
    assert _rows(db, "SELECT count(DISTINCT aid) FROM article_themes "
                     "WHERE theme = 'my-own-theme'") == [(5,)]
    assert _rows(db, "SELECT origin, parent FROM themes WHERE id = 'my-own-theme'") == [
        ("import", None)
    ]


def test_not_utf8_is_refused_with_its_line(tmp_path: Path) -> None:
    src = tmp_path / "latin.jsonl"
    src.write_bytes(f"{GOOD}\n".encode() + b'{"title": "caf\xe9", "published": "2020-01-01"}\n')
    with pytest.raises(ImportFormatError, match=r"latin\.jsonl:2: not UTF-8"):
        run_import([src], tmp_path / "t.duckdb")
    assert not (tmp_path / "t.duckdb").exists()


def test_batches_across_blocks_keep_line_numbers(tmp_path: Path, monkeypatch) -> None:
    import importers.lines as lines

    monkeypatch.setattr(lines, "BLOCK_BYTES", 100)
    src = tmp_path / "many.jsonl"
    rows = [json.dumps({"id": f"r{i}", "title": "t" * (i % 7), "published": "2020-01-01"})
            for i in range(60)]
    rows[41] = '{"id": "r41", "title": "x", "published": "2020-13-01"}'
    src.write_text("\n".join(rows) + "\n")
    result = run_import([src], tmp_path / "t.duckdb")
    assert result.new == 59
    assert [(r.line, "published" in r.reason) for r in result.rejects] == [(42, True)]


# Files without blank lines go to DuckDB's own reader first (importers/jsonl.py, the fast path);
# whatever it cannot judge falls back to the careful path, so each outcome is the same there.
@pytest.mark.parametrize(
    "content",
    [c for c, _ in BAD_LINES]
    + ['{"title": "x", "published": "2020-01-01", "themes": ["a",]}',
       '{"title": "x", "published": "2020-01-01" , }',
       '{"title": "x", "published": "2020-01-01", "tone": 1, }',
       '{"title": "x", "published": "yesterday", }',
       '{"title": "x\\u0000y", "published": "2020-01-01"}',
       '{"title": "x", "published": "2020-01-01", "themes": ["a", "a\\u0000"]}',
       '{"title": "x", "published": "2020-01-01", "title": "y"}',
       '{"title": "x", "published": "2020-01-01", "themes": [1, true, null]}',
       '{"title": 12, "published": "2020-01-01", "summary": false}',
       '{"title": "[x]", "published": "2020-01-01", "source": "{y"}',
       '{"title": "[Analysis] x & y", "published": "2020-01-01", "source": "{Wire}"}',
       '{"title": "[1, 2]", "published": "2020-01-01", "summary": "{\\"a\\": 1}"}',
       '{"title": ["a"], "published": "2020-01-01"}',
       '{"title": "x", "published": "2020-01-01", "source": {"name": "y"}}',
       '{"title": "x", "published": "2020-01-01T10:00:00+05:00", "tone": "-2.5"}',
       "null", "{}"],
)
def test_fast_path_gives_what_the_careful_path_gives(tmp_path: Path, content: str) -> None:
    second, third = GOOD.replace('ok', 'ok2'), GOOD.replace('ok', 'ok3')
    outcomes = []
    for name, text in (("fast", f"{GOOD}\n{second}\n{content}\n{third}"),
                       ("careful", f"{GOOD}\n{second}\n\n{content}\n{third}\n")):
        src = tmp_path / f"{name}.jsonl"
        src.write_text(text)
        db = tmp_path / f"{name}.duckdb"
        result = run_import([src], db)
        line = {"fast": 3, "careful": 4}[name]
        outcomes.append((
            result.new,
            [(r.line == line, r.reason) for r in result.rejects],
            _rows(db, "SELECT id, url, title, source, published, day, source_country, language, "
                      "tone, summary, content_hash FROM articles ORDER BY aid"),
            _rows(db, "SELECT aid, theme FROM article_themes ORDER BY ALL"),
        ))
    assert outcomes[0] == outcomes[1]


def test_fast_path_keeps_lines_order_and_the_last_duplicate(tmp_path: Path, monkeypatch) -> None:
    import importers.jsonl as jsonl

    def careful(path: Path) -> None:
        raise AssertionError("the careful path was taken")

    monkeypatch.setattr(jsonl, "typed_batches", careful)
    src = tmp_path / "many.jsonl"
    rows = [json.dumps({"id": f"r{i}", "title": f"t{i}", "published": "2020-01-01",
                        "countries": ["KE"]}) for i in range(5000)]
    rows[3999] = json.dumps({"id": "r3999", "title": "x", "published": "2020-01-01",
                             "countries": ["ZZ"]})
    rows[4500] = json.dumps({"id": "r7", "title": "the later r7", "published": "2020-01-01",
                             "regions": ["Pacific"]})
    src.write_text("\n".join(rows) + "\n")
    db = tmp_path / "t.duckdb"
    result = run_import([src], db, options=ReadOptions(theme="extra"))
    assert (result.new, result.rejected) == (4998, 1)
    assert [(r.line, "ZZ" in r.reason) for r in result.rejects] == [(4000, True)]
    assert _rows(db, "SELECT title FROM articles WHERE id = 'r7'") == [("the later r7",)]
    assert _rows(db, "SELECT count(*) FROM article_themes WHERE theme = 'extra'") == [(4998,)]
    # aids follow the order of the file
    assert _rows(db, "SELECT count(*) FROM articles a JOIN articles b ON a.aid < b.aid "
                     "WHERE a.id IN ('r1', 'r2') AND b.id IN ('r1', 'r2') "
                     "AND a.id = 'r1'") == [(1,)]


def test_several_files_fast_and_careful_keep_lines_order_and_the_last_duplicate(
    tmp_path: Path,
) -> None:
    """Files staged by DuckDB's reader, a file that falls back to the careful path after its
    fast attempt was staged and taken back, and another fast one: each reject keeps its file's
    line, the last occurrence of an id wins across files, and aids follow the files' order."""
    def line(i: str, title: str, **extra: object) -> str:
        return json.dumps({"id": i, "title": title, "published": "2020-01-01", **extra})

    first = [line(f"a{i}", f"a{i}") for i in range(300)]
    first[99] = line("a99", "bad", countries=["ZZ"])
    careful = [line("a10", "from the careful file"), "", line("b1", "b1"),
               line("b2", "bad", regions=["Atlantis"]), line("b3", "b3")]
    last = [line(f"c{i}", f"c{i}") for i in range(200)]
    last[150] = line("a20", "from the last file")
    last[160] = line("c160", "bad", countries=["XX"])
    paths = []
    for name, rows in (("1.jsonl", first), ("2.jsonl", careful), ("3.jsonl", last)):
        paths.append(tmp_path / name)
        paths[-1].write_text("\n".join(rows) + "\n")
    db = tmp_path / "t.duckdb"
    result = run_import(paths, db)
    assert [(Path(r.file).name, r.line) for r in result.rejects] == [
        ("1.jsonl", 100), ("2.jsonl", 4), ("3.jsonl", 161)]
    assert result.new == 299 + 3 + 199 - 2  # a10 and a20 are written once, as last seen
    assert _rows(db, "SELECT id, title FROM articles WHERE id IN ('a10', 'a20') ORDER BY id") \
        == [("a10", "from the careful file"), ("a20", "from the last file")]
    order = [r[0] for r in _rows(db, "SELECT id FROM articles ORDER BY aid")]
    assert order[:3] == ["a0", "a1", "a2"] and order[-1] == "c199"
    assert order.index("a299") < order.index("b1") \
        < order.index("b3") < order.index("c0") < order.index("c199")
    assert order.index("a10") > order.index("a299")  # its aid is that of its last occurrence
    assert len(set(order)) == len(order) == result.new


def test_many_files_that_alternate_fast_and_careful_keep_their_order(tmp_path: Path) -> None:
    """More taken-back fast attempts than the staging numbers lazily (store/load.py,
    MAX_SEQ_RANGES): every id still takes its last occurrence, every reject its line."""
    from store.load import MAX_SEQ_RANGES

    def line(i: str, title: str, **extra: object) -> str:
        return json.dumps({"id": i, "title": title, "published": "2020-01-01", **extra})

    paths = []
    for k in range(MAX_SEQ_RANGES + 4):
        fast = [line(f"f{k}-{i}", f"{k}") for i in range(50)] + [line("shared", f"fast {k}")]
        fast[7] = line(f"f{k}-7", "bad", countries=["ZZ"])
        careful = [line(f"c{k}-0", f"{k}"), "", line("shared", f"careful {k}")]
        for name, rows in ((f"{k:02d}a.jsonl", fast), (f"{k:02d}b.jsonl", careful)):
            paths.append(tmp_path / name)
            paths[-1].write_text("\n".join(rows) + "\n")
    db = tmp_path / "t.duckdb"
    result = run_import(paths, db)
    assert [(Path(r.file).name, r.line) for r in result.rejects] == [
        (f"{k:02d}a.jsonl", 8) for k in range(MAX_SEQ_RANGES + 4)]
    last = MAX_SEQ_RANGES + 3
    assert _rows(db, "SELECT title FROM articles WHERE id = 'shared'") == [(f"careful {last}",)]
    order = [r[0] for r in _rows(db, "SELECT id FROM articles ORDER BY aid")]
    expected = []
    for k in range(MAX_SEQ_RANGES + 4):
        expected += [f"f{k}-{i}" for i in range(50) if i != 7] + [f"c{k}-0"]
    assert order == expected + ["shared"]


def test_bracketed_titles_stay_on_the_fast_path(tmp_path: Path, monkeypatch) -> None:
    import importers.jsonl as jsonl

    def careful(path: Path) -> None:
        raise AssertionError("the careful path was taken")

    monkeypatch.setattr(jsonl, "typed_batches", careful)
    src = tmp_path / "tags.jsonl"
    src.write_text("\n".join(json.dumps({"title": title, "published": "2020-01-01",
                                         "source": "[Wire]"})
                             for title in ("[Analysis] a", "[Video] b", "{Opinion} c")) + "\n")
    result = run_import([src], tmp_path / "t.duckdb")
    assert (result.new, result.rejected) == (3, 0)


def _scrambled_when_unordered(monkeypatch) -> list[bool]:
    """Make the staging query's first, unordered run insert its rows in an order unlike the
    file's (as DuckDB's threads may on a large file); returns the `ordered` flag of every run."""
    from store.load import Staging

    runs: list[bool] = []
    original = Staging._run_query

    def run_query(self, sql, params, floor, ordered):
        runs.append(ordered)
        if not ordered:
            sql = sql.replace("\nFROM checked_rows\n", "\nFROM checked_rows ORDER BY hash(title)\n")
            assert "ORDER BY hash(title)" in sql
            result = original(self, sql, params, floor, True)
            return result
        return original(self, sql, params, floor, ordered)

    monkeypatch.setattr(Staging, "_run_query", run_query)
    return runs


def test_a_clean_file_staged_out_of_order_gives_the_same_articles(
    tmp_path: Path, monkeypatch
) -> None:
    """The fast path stages a clean file without keeping its order: the articles and counts are
    those of an import in the file's order, and the query ran once."""
    lines = [json.dumps({"id": f"n{i}", "title": f"title {i}", "published": "2020-01-01",
                         "themes": ["t"] if i % 3 else [], "countries": ["KE"]})
             for i in range(400)]
    src = tmp_path / "clean.jsonl"
    src.write_text("\n".join(lines) + "\n")
    in_order = run_import([src], tmp_path / "ordered.duckdb")
    runs = _scrambled_when_unordered(monkeypatch)
    scrambled = run_import([src], tmp_path / "scrambled.duckdb")
    assert runs == [False]
    assert (scrambled.new, scrambled.rejected) == (in_order.new, in_order.rejected) == (400, 0)
    by_id = ("SELECT a.id, a.title, a.content_hash, list_sort(list(t.theme)) FROM articles a "
             "LEFT JOIN article_themes t USING (aid) GROUP BY ALL ORDER BY a.id")
    assert _rows(tmp_path / "scrambled.duckdb", by_id) == _rows(tmp_path / "ordered.duckdb", by_id)
    aids = _rows(tmp_path / "scrambled.duckdb", "SELECT min(aid), max(aid), count(DISTINCT aid) "
                                                "FROM articles")
    assert aids == [(1, 400, 400)]
    assert _rows(tmp_path / "scrambled.duckdb", "SELECT id FROM articles ORDER BY aid")[:3] \
        != [("n0",), ("n1",), ("n2",)]  # the scrambled order, as staged


def test_rejects_staged_out_of_order_get_their_lines_and_repeated_ids_the_files_order(
    tmp_path: Path, monkeypatch
) -> None:
    """A rejected record staged out of the file's order gets its line from a narrow ordered pass
    (records alike in every field take their lines in turn); a repeated id needs its last
    occurrence, so the staging query runs again keeping the file's order."""
    from store.load import Staging

    def line(i: int, title: str, **extra: object) -> str:
        return json.dumps({"id": f"r{i}", "title": title, "published": "2020-01-01", **extra})

    with_rejects = [line(i, f"t{i}") for i in range(300)]
    with_rejects[123] = line(123, "bad", countries=["ZZ"])
    twin = json.dumps({"title": "twin", "published": "2020-01-01", "regions": ["Atlantis"]})
    with_rejects[200] = with_rejects[260] = twin  # the same bad record twice
    repeated = [line(i, f"t{i}") for i in range(300)]
    repeated[250] = line(7, "the last r7")
    repeated[40] = line(7, "a middle r7")
    runs = _scrambled_when_unordered(monkeypatch)
    paths = []
    for name, rows in (("reject.jsonl", with_rejects), ("repeat.jsonl", repeated)):
        paths.append(tmp_path / name)
        paths[-1].write_text("\n".join(rows) + "\n")

    expected_rejects = [("reject.jsonl", 124), ("reject.jsonl", 201), ("reject.jsonl", 261)]
    result = run_import([paths[0]], tmp_path / "a.duckdb")
    assert runs == [False]
    assert [(Path(r.file).name, r.line) for r in result.rejects] == expected_rejects
    assert result.new == 297
    assert _rows(tmp_path / "a.duckdb", "SELECT line FROM rejects ORDER BY line") == [
        (124,), (201,), (261,)]

    # When the narrow pass cannot place every rejected row, the query runs again in order.
    runs.clear()
    monkeypatch.setattr(Staging, "_lines_by_hash", lambda *args: False)
    result = run_import([paths[0]], tmp_path / "b.duckdb")
    assert runs == [False, True]
    assert [(Path(r.file).name, r.line) for r in result.rejects] == expected_rejects
    assert _rows(tmp_path / "b.duckdb", "SELECT id FROM articles ORDER BY aid")[:3] == [
        ("r0",), ("r1",), ("r2",)]

    runs.clear()
    result = run_import([paths[1]], tmp_path / "c.duckdb")
    assert runs == [False, True]
    assert result.new == 298 and not result.rejects
    assert _rows(tmp_path / "c.duckdb", "SELECT title FROM articles WHERE id = 'r7'") == [
        ("the last r7",)]
