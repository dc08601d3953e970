"""Fuzzing every format's importer with hypothesis: random bytes, and text shaped like each format
with random damage. Whatever comes in, an import ends in a clean error (ImportFormatError,
ImportAborted, StoreError) or a correct import, never another exception; a --strict import that
fails leaves the database byte for byte as it was; the command line never shows a traceback.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from reliability_helpers import broken_invariants

from importers import registry
from importers.base import ImportFormatError, ReadOptions
from importers.run import ImportAborted, plan, run_import, stage
from store.db import StoreError
from store.load import Staging
from tui.cli import main

CLEAN_ERRORS = (ImportFormatError, ImportAborted, StoreError)
# Examples per property; SOFTPOWER_FUZZ_EXAMPLES=500 for a deeper run (docs/reliability.md).
EXAMPLES = int(os.environ.get("SOFTPOWER_FUZZ_EXAMPLES", "8"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow, HealthCheck.data_too_large])

# -- strategies ---------------------------------------------------------------------------------

TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30)
NASTY = st.sampled_from(["", " ", '"', '""', ",", "\t", "\n", "\r", "\r\n", "\\", "{", "}", "[",
                         "]", "\x00", "\x1b[31m", "\u202e", "2021-02-30", "2020-01-01",
                         "2020-01-01T10:00:00+02:00", "9999-99-99", "NaN", "-1e400", "KE", "KEN",
                         "null", "true", "1.5", "<UDIV>", "#", ";", "20200318104500"])
FIELD = st.one_of(TEXT, NASTY)


def _damage(data: bytes, cuts: list[int]) -> bytes:
    """Remove a byte at each position in `cuts` (mod the length): truncations and lost quotes."""
    out = bytearray(data)
    for cut in cuts:
        if out:
            del out[cut % len(out)]
    return bytes(out)


DAMAGE = st.lists(st.integers(min_value=0, max_value=10_000), max_size=3)


@st.composite
def jsonl_files(draw: st.DrawFn) -> bytes:
    lines = []
    for _ in range(draw(st.integers(0, 6))):
        record = draw(st.dictionaries(
            st.sampled_from(["id", "title", "published", "themes", "countries", "regions",
                             "tone", "source", "source_country", "summary", "x"]),
            st.one_of(FIELD, st.integers(), st.floats(), st.booleans(), st.none(),
                      st.lists(st.one_of(FIELD, st.none(), st.integers()), max_size=4),
                      st.dictionaries(TEXT, FIELD, max_size=2)),
            max_size=8))
        lines.append(json.dumps(record))
    text = "\n".join(lines) + draw(st.sampled_from(["", "\n", "\r\n"]))
    return _damage(text.encode(), draw(DAMAGE))


def _table(draw: st.DrawFn, sep: str, header: list[str]) -> bytes:
    rows = [sep.join(header)]
    for _ in range(draw(st.integers(0, 6))):
        width = len(header) + draw(st.integers(-2, 2))
        fields = draw(st.lists(FIELD, min_size=max(width, 0), max_size=max(width, 0)))
        rows.append(sep.join(fields))
    return _damage("\n".join(rows).encode(), draw(DAMAGE))


@st.composite
def csv_files(draw: st.DrawFn) -> bytes:
    header = draw(st.lists(st.sampled_from(["id", "title", "published", "themes", "countries",
                                            "tone", "source_country", "summary", "other"]),
                           min_size=1, max_size=6, unique=True))
    return _table(draw, ",", header)


@st.composite
def tsv_files(draw: st.DrawFn) -> bytes:
    return _table(draw, "\t", ["id", "title", "published", "themes", "tone"])


@st.composite
def doc_files(draw: st.DrawFn) -> bytes:
    header = ["country1", "country2", "sourceCountry", "year", "month", "day", "domain", "title",
              "url", "social_image", "language", "query"]
    return _table(draw, ",", header)


@st.composite
def gkg_files(draw: st.DrawFn) -> bytes:
    lines = []
    for _ in range(draw(st.integers(1, 5))):
        width = draw(st.sampled_from([27, 27, 27, 11, 26, 28]))
        fields = draw(st.lists(FIELD, min_size=width, max_size=width))
        if width >= 27 and draw(st.booleans()):
            fields[0], fields[1] = "20200318104500-1", "20200318104500"
        elif width == 11 and draw(st.booleans()):
            fields[0] = "20200705"
        lines.append("\t".join(f.replace("\t", " ").replace("\n", " ") for f in fields))
    return _damage("\n".join(lines).encode(), draw(DAMAGE))


@st.composite
def parquet_files(draw: st.DrawFn) -> bytes:
    n = draw(st.integers(0, 4))
    columns = {}
    for name in draw(st.lists(st.sampled_from(["id", "title", "published", "themes", "tone",
                                               "countries"]), min_size=1, unique=True)):
        kind = draw(st.sampled_from(["text", "int", "float", "list", "struct"]))
        if kind == "text":
            columns[name] = pa.array(draw(st.lists(st.one_of(FIELD, st.none()), min_size=n,
                                                   max_size=n)), pa.string())
        elif kind == "int":
            columns[name] = pa.array(draw(st.lists(st.integers(-2**62, 2**62), min_size=n,
                                                   max_size=n)), pa.int64())
        elif kind == "float":
            columns[name] = pa.array(draw(st.lists(st.floats(), min_size=n, max_size=n)))
        elif kind == "list":
            columns[name] = pa.array(draw(st.lists(st.lists(FIELD, max_size=3), min_size=n,
                                                   max_size=n)), pa.list_(pa.string()))
        else:
            columns[name] = pa.array([{"a": 1}] * n)
    sink = io.BytesIO()
    pq.write_table(pa.table(columns), sink)
    data = sink.getvalue()
    if draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]
    return data


RANDOM_BYTES = st.binary(max_size=3000)

STRATEGIES = {
    "jsonl": jsonl_files(),
    "csv": csv_files(),
    "tsv": tsv_files(),
    "parquet": parquet_files(),
    "gdelt-gkg": gkg_files(),
    "gdelt-doc": doc_files(),
}

# -- the properties ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("fuzz-seed")
    src = folder / "seed.jsonl"
    src.write_text(json.dumps({"id": "seed", "title": "Seed", "published": "2019-01-01",
                               "countries": ["FJ"]}) + "\n")
    db = folder / "seed.duckdb"
    run_import([src], db)
    return db


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def check_import(data: bytes, fmt: str, seeded: Path, folder: Path) -> None:
    """The properties for one input: strict leaves the file alone on failure; default either
    commits a sound database or fails cleanly."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    src = folder / ("input.parquet" if fmt == "parquet" else "input.txt")
    src.write_bytes(data)
    db = folder / "db.duckdb"
    shutil.copy(seeded, db)
    before = sha256(db)
    try:
        run_import([src], db, fmt=fmt, options=ReadOptions(strict=True), tmp_dir=folder)
    except CLEAN_ERRORS:
        assert sha256(db) == before
    # Default mode: stage and check (the write itself is the same for every input).
    try:
        files = plan([src], fmt).files
        with Staging(tmp_dir=folder) as staging:
            rejects = stage(files, staging, ReadOptions())
            assert staging.staged_count() + len(rejects) >= 0
            for r in rejects:
                assert r.file == str(src) and r.reason
                assert r.line is None or r.line >= 1
    except CLEAN_ERRORS:
        pass


@pytest.mark.parametrize("fmt", list(STRATEGIES))
def test_shaped_input_never_raises_anything_but_a_clean_error(
    fmt: str, seeded: Path, tmp_path: Path
) -> None:
    @FUZZ
    @given(data=STRATEGIES[fmt])
    def run(data: bytes) -> None:
        check_import(data, fmt, seeded, tmp_path / "case")

    run()


@pytest.mark.parametrize("fmt", ["auto", *registry.FORMAT_NAMES])
def test_random_bytes_never_raise_anything_but_a_clean_error(
    fmt: str, seeded: Path, tmp_path: Path
) -> None:
    @settings(FUZZ, max_examples=max(1, EXAMPLES // 2))
    @given(data=RANDOM_BYTES)
    @example(data=b"\x1f\x8b")  # the gzip magic alone: once ended CSV/TSV in Click's "Aborted!"
    def run(data: bytes) -> None:
        check_import(data, fmt, seeded, tmp_path / "case")

    run()


@FUZZ
@given(fmt=st.sampled_from(list(STRATEGIES)), data=st.data())
def test_the_command_line_shows_no_traceback_and_commits_a_sound_database(
    fmt: str, data: st.DataObject, seeded: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    payload = data.draw(STRATEGIES[fmt])
    folder = tmp_path_factory.mktemp("cli")
    src = folder / ("input.parquet" if fmt == "parquet" else "input.txt")
    src.write_bytes(payload)
    db = folder / "db.duckdb"
    shutil.copy(seeded, db)
    before = sha256(db)
    strict = CliRunner().invoke(main, ["--db", str(db), "import", str(src), "--format", fmt,
                                       "--strict"])
    assert strict.exception is None or isinstance(strict.exception, SystemExit), (
        repr(strict.exception))
    assert "Traceback" not in strict.output
    assert strict.exit_code in (0, 1)
    if strict.exit_code == 1:
        assert sha256(db) == before
        assert str(src) in strict.stderr
    result = CliRunner().invoke(main, ["--db", str(db), "import", str(src), "--format", fmt])
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        repr(result.exception))
    assert "Traceback" not in result.output
    assert result.exit_code in (0, 1)
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert broken_invariants(con) == []
    finally:
        con.close()
