"""Golden CSV files: every table of a small hand-written corpus, byte for byte.

Corpus: tests/fixtures/aggregate/corpus.jsonl. Views: tests/fixtures/aggregate/views/*.toml.
Expected files: tests/fixtures/golden/<view>.csv. The expected numbers were worked out by hand
from the corpus (docs/semantics.md walks through several of them); they are the specification,
so a difference is a bug until shown otherwise.

To rewrite the golden files after a deliberate change of semantics or format, run

    SOFTPOWER_REGEN_GOLDEN=1 uv run pytest tests/store/test_aggregate_golden.py

and check every changed number by hand in `git diff` before committing.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from importers.run import run_import
from store.db import reading
from store.export import export_view
from store.viewspec import ViewSpec

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CORPUS = FIXTURES / "aggregate" / "corpus.jsonl"
VIEWS = FIXTURES / "aggregate" / "views"
GOLDEN = FIXTURES / "golden"
REGEN = os.environ.get("SOFTPOWER_REGEN_GOLDEN") == "1"
NAMES = ("trends", "trends_by_region", "regions", "articles", "cooccurrence", "spikes")


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("golden") / "corpus.duckdb"
    result = run_import([CORPUS], path)
    assert (result.new, result.rejected) == (25, 0)
    return path


def test_every_table_has_a_view() -> None:
    tables = {ViewSpec.load(VIEWS / f"{name}.toml").table for name in NAMES}
    assert tables == {"trends", "regions", "articles", "cooccurrence", "spikes"}


@pytest.mark.parametrize("name", NAMES)
def test_golden_csv(db: Path, tmp_path: Path, name: str) -> None:
    spec = ViewSpec.load(VIEWS / f"{name}.toml")
    out = tmp_path / f"{name}.csv"
    with reading(db) as con:
        export_view(con, spec, out)
    golden = GOLDEN / f"{name}.csv"
    if REGEN:
        golden.write_bytes(out.read_bytes())
    assert out.read_bytes() == golden.read_bytes()


@pytest.mark.parametrize("name", ("trends", "trends_by_region", "regions", "spikes"))
def test_plain_sql_path_gives_the_same_file(db: Path, name: str) -> None:
    """The fact tables and the plain SQL over the normalised tables agree on the golden views."""
    from store import aggregate

    spec = ViewSpec.load(VIEWS / f"{name}.toml")
    with reading(db) as con:
        fast = aggregate.table(con, spec, fast=True)
        plain = aggregate.table(con, spec, fast=False)
    assert fast.equals(plain)
