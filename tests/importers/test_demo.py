"""The demo corpus generator, the committed corpus file, and `softpower-tui sample`."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa
import pytest
from click.testing import CliRunner

from importers import demo, jsonl
from importers.base import ReadOptions
from store.load import Staging
from store.records import CANONICAL_SCHEMA
from store.taxonomy import load_region_map, load_themes
from tui.cli import main

REGION_OF = dict(
    zip(load_region_map()["country"], load_region_map()["region"], strict=True)
)


def frame_of(n_articles: int, seed: int, **kwargs: int) -> pl.DataFrame:
    frame = pl.from_arrow(pa.concat_tables(demo.generate(n_articles, seed, **kwargs)))
    assert isinstance(frame, pl.DataFrame)
    return frame


@pytest.fixture(scope="session")
def corpus() -> pl.DataFrame:
    """The default demo corpus as the generator makes it."""
    return frame_of(demo.DEFAULT_ARTICLES, demo.DEFAULT_SEED)


@pytest.fixture(scope="session")
def tagged_rows(corpus: pl.DataFrame) -> pl.DataFrame:
    """One row per (article, theme), with the month of publication."""
    return corpus.explode("themes").drop_nulls("themes").with_columns(
        pl.col("published").dt.year().alias("year"),
        pl.col("published").dt.month().alias("month"),
    )


def monthly(rows: pl.DataFrame, theme: str) -> dict[tuple[int, int], int]:
    counts = rows.filter(pl.col("themes") == theme).group_by("year", "month").len()
    return {(y, m): n for y, m, n in counts.iter_rows()}


# -- the committed file ----


def test_committed_corpus_equals_the_generator_output() -> None:
    committed = gzip.decompress(demo.default_corpus_path().read_bytes())
    assert committed == demo.corpus_lines(demo.DEFAULT_ARTICLES, demo.DEFAULT_SEED)


def test_corpus_file_is_written_deterministically(tmp_path: Path) -> None:
    first = demo.write_demo_corpus(tmp_path / "a.jsonl.gz", 300, 3).read_bytes()
    second = demo.write_demo_corpus(tmp_path / "b.jsonl.gz", 300, 3).read_bytes()
    assert first == second
    assert first[4:8] == b"\0\0\0\0"  # gzip mtime
    lines = gzip.decompress(first).decode().splitlines()
    assert len(lines) == 300
    keys = list(json.loads(lines[-1]))
    assert keys == [
        "id", "url", "title", "source", "published", "themes", "countries", "source_country",
        "language", "tone", "summary",
    ]
    assert json.loads(lines[-1])["published"].endswith("Z")
    assert not list(tmp_path.glob("*.tmp"))


def test_committed_file_holds_the_seed_record_verbatim() -> None:
    with gzip.open(demo.default_corpus_path(), "rt", encoding="utf-8") as fh:
        records = [json.loads(line) for line in fh]
    assert len(records) >= 20_000
    seed = [r for r in records if r["id"] == "dw-2018-04-05-china-soft-power"]
    assert seed == [demo.SEED_RECORD]
    assert seed[0] == {
        "id": "dw-2018-04-05-china-soft-power",
        "title": "How China is trying to export its soft power",
        "source": "DW",
        "published": "2018-04-05",
        "themes": ["state-media", "united-front", "un-human-rights", "confucius-institutes",
                   "china-model", "party-training", "censorship", "countermeasures"],
        "countries": ["CN", "TW", "ET", "US"],
        "regions": ["Africa", "Pacific", "Middle East & North Africa"],
        "language": "en",
    }


def test_build_and_file_give_the_same_articles(tmp_path: Path) -> None:
    n, seed = 1500, 11
    built = tmp_path / "built.duckdb"
    demo.build_sample_database(built, n, seed)
    corpus_file = tmp_path / "corpus.jsonl"
    corpus_file.write_bytes(demo.corpus_lines(n, seed))
    imported = tmp_path / "imported.duckdb"
    with Staging() as staging:
        file_no = staging.begin_file(str(corpus_file), "jsonl")
        jsonl.read(corpus_file, staging, file_no, ReadOptions())
        result = staging.commit(imported)
    assert result.rejected == 0 and result.new == n

    def hashes(path: Path) -> set[tuple[str, str]]:
        with duckdb.connect(str(path), read_only=True) as con:
            return set(con.sql("SELECT id, content_hash FROM articles").fetchall())

    assert hashes(built) == hashes(imported)
    assert len(hashes(built)) == n


# -- the generator ----


def test_same_seed_same_articles_other_seed_others() -> None:
    first = pa.concat_tables(demo.generate(2000, 5))
    assert first.equals(pa.concat_tables(demo.generate(2000, 5)))
    other = pa.concat_tables(demo.generate(2000, 6))
    assert not first.equals(other)
    assert first.column("title").to_pylist() != other.column("title").to_pylist()


def test_batch_size_does_not_change_the_articles() -> None:
    n = 130_001  # more than one unit of randomness, so the seed record crosses a boundary test
    whole = pa.concat_tables(demo.generate(n, 2))
    pieces = list(demo.generate(n, 2, batch_rows=40_000))
    assert [p.num_rows for p in pieces] == [40_000, 40_000, 40_000, 10_001]
    assert pa.concat_tables(pieces).equals(whole)


def test_tiny_corpora_still_hold_the_seed_record() -> None:
    for n in (1, 2, 3):
        frame = frame_of(n, 1)
        assert frame.height == n
        assert "dw-2018-04-05-china-soft-power" in frame["id"].to_list()
        assert frame["line"].to_list() == list(range(1, n + 1))
    with pytest.raises(ValueError):
        list(demo.generate(0, 1))


def test_batches_are_canonical(corpus: pl.DataFrame) -> None:
    batch = next(demo.generate(500, 1))
    assert batch.schema.equals(CANONICAL_SCHEMA)
    assert corpus.height == demo.DEFAULT_ARTICLES >= 20_000
    assert corpus["line"].to_list() == list(range(1, corpus.height + 1))
    assert corpus["published"].is_sorted()
    assert corpus["id"].n_unique() == corpus.height
    synthetic = corpus.filter(pl.col("id") != "dw-2018-04-05-china-soft-power")
    assert synthetic["id"].str.contains(r"^demo-\d{8}$").all()
    assert (synthetic["id"] == "demo-" + synthetic["line"].cast(pl.String).str.zfill(8)).all()


def test_dates_cover_the_period(corpus: pl.DataFrame) -> None:
    days = corpus["published"].dt.date()
    assert days.min() == demo.FIRST_DAY
    assert days.max() == demo.LAST_DAY
    published = corpus["published"]
    seconds = published.dt.hour().cast(pl.Int32) * 3600 + published.dt.minute().cast(pl.Int32) * 60
    assert seconds.n_unique() > 500  # times of day, not only dates


def test_about_a_quarter_of_articles_carry_no_theme(corpus: pl.DataFrame) -> None:
    untagged = (corpus["themes"].list.len() == 0).mean()
    assert 0.22 <= untagged <= 0.28


def test_themes_and_countries_per_article(corpus: pl.DataFrame) -> None:
    synthetic = corpus.filter(pl.col("id").str.starts_with("demo-"))
    n_themes = synthetic["themes"].list.len()
    n_countries = synthetic["countries"].list.len()
    assert n_themes.max() == 4 and n_countries.min() == 1 and n_countries.max() == 4
    assert (n_themes.filter(n_themes > 0).value_counts()["themes"].len()) == 4
    known = {t.id for t in load_themes()}
    assert set(synthetic["themes"].explode().drop_nulls()) <= known
    assert set(synthetic["countries"].explode()) <= set(REGION_OF)
    assert (synthetic["themes"].list.n_unique() == n_themes).all()
    assert (synthetic["countries"].list.n_unique() == n_countries).all()
    assert synthetic["regions"].null_count() == synthetic.height  # derived on import


def test_outlets_are_fictional_with_a_home_country(corpus: pl.DataFrame) -> None:
    synthetic = corpus.filter(pl.col("id").str.starts_with("demo-"))
    names = {o.name for o in demo.OUTLETS}
    assert set(synthetic["source"]) == names
    assert synthetic["url"].str.contains(r"^https://[a-z0-9-]+\.example/").all()
    assert set(synthetic["source_country"]) <= set(REGION_OF)
    home = {o.name: o.country for o in demo.OUTLETS}
    assert all(home[s] == c for s, c in synthetic.select("source", "source_country").unique()
               .iter_rows())


def test_language_tone_summary(corpus: pl.DataFrame) -> None:
    synthetic = corpus.filter(pl.col("id").str.starts_with("demo-"))
    assert (synthetic["language"] == "en").mean() > 0.75
    assert synthetic["language"].n_unique() >= 4
    assert synthetic["tone"].is_between(-10, 10).all()
    assert synthetic["tone"].std() > 1
    assert (synthetic["summary"].str.len_chars() > 5).all()


def test_titles_are_varied_and_some_hold_awkward_characters(corpus: pl.DataFrame) -> None:
    titles = corpus["title"]
    assert titles.n_unique() > 5_000
    assert titles.str.contains(r"\[", literal=False).any()
    assert titles.str.contains("&", literal=True).any()
    assert titles.str.contains(r"[\p{Han}]").any()
    assert not titles.str.contains(r"[\x00-\x1f\x7f]").any()
    assert not titles.str.contains(r"\{|\}").any()  # every template slot filled


# -- trends with meaning ----


def test_united_front_rises_from_2017_and_peaks_around_march_2018(
    tagged_rows: pl.DataFrame,
) -> None:
    uf = monthly(tagged_rows, "united-front")
    mean_2016 = sum(uf.get((2016, m), 0) for m in range(1, 13)) / 12
    assert uf[(2018, 3)] > 3 * mean_2016
    peak = max(uf, key=lambda k: uf[k])
    assert (2018, 2) <= peak <= (2018, 4)
    year_2019 = sum(uf.get((2019, m), 0) for m in range(1, 13))
    assert year_2019 > 12 * mean_2016


def test_confucius_institutes_peak_in_2019_and_2020(tagged_rows: pl.DataFrame) -> None:
    ci = tagged_rows.filter(pl.col("themes") == "confucius-institutes")
    by_year = dict(ci.group_by("year").len().iter_rows())
    peak_years = min(by_year[2019], by_year[2020])
    assert all(peak_years > n for y, n in by_year.items() if y not in (2019, 2020))


def test_vaccine_diplomacy_is_mostly_2021(tagged_rows: pl.DataFrame) -> None:
    vd = tagged_rows.filter(pl.col("themes") == "vaccine-diplomacy")
    assert vd.height > 100
    assert (vd["year"] == 2021).mean() > 0.6
    assert vd["year"].min() >= 2020


def test_un_human_rights_follows_the_council_sessions(tagged_rows: pl.DataFrame) -> None:
    hr = tagged_rows.filter(pl.col("themes") == "un-human-rights")
    by_month = dict(hr.group_by("month").len().iter_rows())
    sessions = [by_month[m] for m in (3, 6, 9)]
    others = [by_month[m] for m in (1, 4, 5, 8, 11, 12)]
    assert min(sessions) > 2 * max(others)


def test_party_training_is_steadily_about_africa(tagged_rows: pl.DataFrame) -> None:
    pt = tagged_rows.filter(pl.col("themes") == "party-training").with_columns(
        pl.col("countries").list.eval(pl.element().replace_strict(REGION_OF))
        .list.contains("Africa").alias("africa")
    )
    share = pt.group_by("year").agg(pl.col("africa").mean())["africa"]
    assert share.min() > 0.35


def test_weekday_rhythm_and_growing_volume(corpus: pl.DataFrame) -> None:
    weekday = corpus["published"].dt.weekday()  # 1 = Monday
    per_day = weekday.value_counts().sort("published")["count"].to_list()
    assert min(per_day[:5]) > 1.5 * max(per_day[5:])
    by_year = dict(corpus.group_by(pl.col("published").dt.year()).len().iter_rows())
    assert by_year[2025] > 2.5 * by_year[2013]
    assert all(by_year[y + 2] > by_year[y] for y in range(2012, 2024))


def test_count_and_share_tell_different_stories(
    corpus: pl.DataFrame, tagged_rows: pl.DataFrame
) -> None:
    totals = dict(corpus.group_by(pl.col("published").dt.year()).len().iter_rows())
    uf = dict(tagged_rows.filter(pl.col("themes") == "united-front").group_by("year").len()
              .iter_rows())
    assert uf[2025] > uf[2018]  # more articles …
    assert uf[2025] / totals[2025] < uf[2018] / totals[2018]  # … but a smaller share


def test_siblings_co_occur(corpus: pl.DataFrame) -> None:
    parent = {t.id: t.parent or t.id for t in load_themes()}
    multi = corpus.filter(pl.col("themes").list.len() >= 2)
    with_siblings = multi["themes"].map_elements(
        lambda ts: len({parent[t] for t in ts}) < len(ts), return_dtype=pl.Boolean
    )
    assert with_siblings.mean() > 0.3


# -- softpower-tui sample ----


def test_sample_command_builds_then_refuses_to_clobber(tmp_path: Path) -> None:
    db = tmp_path / "demo.duckdb"
    runner = CliRunner()
    first = runner.invoke(main, ["sample", "--db", str(db), "--articles", "2000"])
    assert first.exit_code == 0, first.output
    assert "2,000 demo articles" in first.output
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.sql("SELECT count(*) FROM articles").fetchall()[0][0] == 2000
        assert con.sql("SELECT format FROM imports").fetchall() == [("sample",)]

    again = runner.invoke(main, ["sample", "--db", str(db), "--articles", "3000"])
    assert again.exit_code == 1
    assert "already holds 2,000 articles" in again.output
    assert "--force" in again.output
    assert "Traceback" not in again.output

    forced = runner.invoke(
        main, ["sample", "--db", str(db), "--articles", "3000", "--seed", "9", "--force"]
    )
    assert forced.exit_code == 0, forced.output
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.sql("SELECT count(*) FROM articles").fetchall()[0][0] == 3000
        assert con.sql("SELECT count(*) FROM imports").fetchall()[0][0] == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo.duckdb"]


def test_sample_command_refuses_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    target = tmp_path / "notes.duckdb"
    target.write_text("my notes\n")
    result = CliRunner().invoke(main, ["sample", "--db", str(target), "--articles", "50"])
    assert result.exit_code == 1
    assert "not a softpower-tui database" in result.output
    assert target.read_text() == "my notes\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.duckdb"]


def test_sample_command_rejects_a_bad_size(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["sample", "--db", str(tmp_path / "x.duckdb"), "--articles", "0"]
    )
    assert result.exit_code == 2
    assert not (tmp_path / "x.duckdb").exists()
