"""The in-memory working set answers the views it covers exactly as the file does."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest
from polars.testing import assert_frame_equal

from importers.demo import build_sample_database
from store import aggregate
from store.db import reading
from store.viewspec import ViewSpec
from store.workingset import WorkingSet


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ws") / "demo.duckdb"
    build_sample_database(path, 3000, 11)
    return path


@pytest.fixture(scope="module")
def working_set(demo: Path) -> WorkingSet:
    with reading(demo) as con:
        loaded = WorkingSet.load(con)
    assert loaded is not None
    return loaded


FIVE = ("united-front", "state-media", "confucius-institutes", "party-training", "censorship")

COVERED = [
    ViewSpec(),
    ViewSpec(by_region=True),
    ViewSpec(themes=FIVE, regions=("Africa", "Pacific", "Europe")),
    ViewSpec(themes=FIVE, regions=("Africa", "Pacific"), by_region=True, every="week"),
    ViewSpec(themes=("influence-networks", "censorship"), every="quarter"),  # a parent
    ViewSpec(themes=("media-and-information",), by_region=True, every="year", smooth=3),
    ViewSpec(themes=FIVE, metric="share", smooth=2, every="day",
             since=dt.date(2019, 2, 3), until=dt.date(2019, 9, 30)),
    ViewSpec(regions=("East Asia",), since=dt.date(2020, 1, 1)),
    ViewSpec(themes=FIVE, by_region=True, every="quarter", since=dt.date(2018, 2, 1),
             until=dt.date(2021, 2, 28)),  # whole months: the monthly copy
    ViewSpec(themes=FIVE, every="year", since=dt.date(2018, 2, 1),
             until=dt.date(2021, 2, 27)),  # not whole months: the daily copy
    # tone of single themes, by month or coarser: sums of the monthly copy's tone sums
    ViewSpec(themes=FIVE, metric="tone"),
    ViewSpec(themes=FIVE, regions=("Africa", "Pacific"), by_region=True, metric="tone",
             every="quarter", smooth=2),
    ViewSpec(themes=FIVE, metric="tone", by_region=True, every="year"),
]


def cursors(working_set: WorkingSet, view: ViewSpec) -> list[duckdb.DuckDBPyConnection]:
    """The copy that answers `view`, and the daily one too where it can (all but tone)."""
    chosen = working_set.cursor(view)
    return [chosen] if view.metric == "tone" else [working_set.cursor(), chosen]


@pytest.mark.parametrize("spec", COVERED,
                         ids=lambda s: f"{s.summary()}|{s.every}|{s.by_region}|{s.metric}")
def test_same_tables_as_the_file(demo: Path, working_set: WorkingSet, spec: ViewSpec) -> None:
    with reading(demo) as con:
        for table in ("trends", "regions"):
            view = spec.replace(table=table)
            assert WorkingSet.covers(view)
            expected = aggregate.table(con, view)
            for cur in cursors(working_set, view):
                assert_frame_equal(aggregate.table(cur, view), expected, check_exact=True)
        for cur in cursors(working_set, spec):
            trends = aggregate.trends(cur, spec)
            assert trends.height > 0
            if spec.metric == "tone":  # tones were summed, not all missing
                assert trends["tone"].drop_nulls().drop_nans().len() > 0
            assert_frame_equal(aggregate.spikes(cur, spec, trends_frame=trends),
                               aggregate.spikes(con, spec))


def test_which_views_the_monthly_copy_answers() -> None:
    assert WorkingSet.monthly(ViewSpec(every="month"))
    assert WorkingSet.monthly(ViewSpec(every="year", since=dt.date(2020, 3, 1),
                                       until=dt.date(2024, 2, 29)))
    assert not WorkingSet.monthly(ViewSpec(every="week"))
    assert not WorkingSet.monthly(ViewSpec(every="day"))
    assert not WorkingSet.monthly(ViewSpec(every="month", since=dt.date(2020, 3, 2)))
    assert not WorkingSet.monthly(ViewSpec(every="month", until=dt.date(2023, 2, 27)))
    assert WorkingSet.monthly(ViewSpec(every="week", table="regions"))  # the whole range


@pytest.mark.parametrize("spec", [
    ViewSpec(sources=("Xinhua",)),
    ViewSpec(countries=("KE",)),
    ViewSpec(search="port"),
    ViewSpec(themes=FIVE, metric="tone", every="week"),  # tone: by month or coarser only
    ViewSpec(table="articles"),
    ViewSpec(table="cooccurrence"),
])
def test_views_needing_articles_are_not_covered(spec: ViewSpec) -> None:
    assert not WorkingSet.covers(spec)


def test_per_article_queries_fail_rather_than_answer(working_set: WorkingSet) -> None:
    cur = working_set.cursor()
    with pytest.raises(duckdb.Error):
        aggregate.article_keys(cur, ViewSpec())
    with pytest.raises(duckdb.Error):  # a source filter counts rows of theme_facts
        aggregate.trends(cur, ViewSpec(themes=FIVE, sources=("Xinhua",)))
    parent_tone = ViewSpec(themes=("influence-networks",), metric="tone")
    assert WorkingSet.covers(parent_tone)
    with pytest.raises(duckdb.Error):  # a parent's articles must be told apart: the file's
        aggregate.trends(working_set.cursor(parent_tone), parent_tone)


def test_snapshot_of_one_import(demo: Path, working_set: WorkingSet) -> None:
    with reading(demo) as con:
        newest = con.sql("SELECT max(import_id) FROM imports").fetchall()[0][0]
    assert working_set.import_id == newest
    assert working_set.rows > 0


def test_no_copy_when_the_facts_are_stale(tmp_path: Path, demo: Path) -> None:
    copy = tmp_path / "stale.duckdb"
    copy.write_bytes(demo.read_bytes())
    con = duckdb.connect(str(copy))
    con.execute("UPDATE facts_state SET import_id = import_id - 1")
    con.close()
    with reading(copy) as con:
        assert WorkingSet.load(con) is None
