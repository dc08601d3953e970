"""ViewSpec: validation with messages a user can act on, and view files that round-trip."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from store.taxonomy import REGIONS
from store.viewspec import EVERY, MAX_SMOOTH, METRICS, TABLES, ViewSpec, ViewSpecError

ISSUE_EXAMPLE = """\
[filters]
themes = ["united-front", "china-model"]
regions = ["Africa", "Pacific"]
since = 2018-01-01
until = 2023-12-31
# countries, sources, search likewise

[view]
every = "quarter"
metric = "share"
by_region = true
smooth = 1
table = "trends"
"""


def _message(**fields: object) -> str:
    with pytest.raises(ViewSpecError) as info:
        ViewSpec(**fields)  # type: ignore[arg-type]
    return str(info.value)


def test_issue_example_reads_as_written() -> None:
    spec = ViewSpec.from_toml(ISSUE_EXAMPLE)
    assert spec == ViewSpec(
        themes=("united-front", "china-model"), regions=("Africa", "Pacific"),
        since=date(2018, 1, 1), until=date(2023, 12, 31), every="quarter", metric="share",
        by_region=True, smooth=1, table="trends",
    )
    assert ViewSpec.from_toml(spec.to_toml()) == spec


def test_defaults_and_normalisation() -> None:
    spec = ViewSpec(
        themes=[" united-front ", "united-front", ""], regions=["pacific", "PACIFIC", "Africa"],
        countries=["fr", "Germany"], since="2019-02-03", every="Week", search="  Front ",
    )
    assert spec.themes == ("united-front",)
    assert spec.regions == ("Pacific", "Africa")  # canonical names, first-seen order
    assert spec.countries == ("FR", "DE")  # names accepted, stored as codes
    assert spec.since == date(2019, 2, 3)
    assert spec.every == "week"
    assert spec.search == "Front"
    assert ViewSpec(search="   ").search is None
    assert ViewSpec().table == "trends" and ViewSpec().every == "month"
    assert not ViewSpec().has_filters and spec.has_filters


def test_messages_name_the_value_and_suggest() -> None:
    assert _message(regions=["Afrika"]).startswith(
        "unknown region 'Afrika' — did you mean 'Africa'?"
    )
    assert "Pacific" in _message(regions=["Atlantis"])  # lists the regions
    assert "did you mean" not in _message(regions=["Atlantis"])
    assert _message(countries=["Frence"]).startswith(
        "unknown country 'Frence' — did you mean 'France'?"
    )
    assert _message(every="weekly") == (
        "every: 'weekly' is not one of day, week, month, quarter, year — did you mean 'week'?"
    )
    assert "count, share, tone" in _message(metric="ratio")
    assert "trends, regions, articles, cooccurrence, spikes" in _message(table="chart")
    assert _message(since="2020-05-01", until="2020-04-30") == (
        "since 2020-05-01 is after until 2020-04-30 — the dates are out of order"
    )
    assert _message(since="2020-13-01") == (
        "since: '2020-13-01' is not a date (YYYY-MM-DD, e.g. 2018-01-01)"
    )
    for bad in (0, MAX_SMOOTH + 1, True, 2.5, "3"):
        assert _message(smooth=bad).startswith("smooth: expected a whole number")
    assert _message(by_region="yes").startswith("by_region: expected true or false")
    assert _message(themes=3).startswith("themes: expected a list of strings")
    assert _message(themes=["a", 3]).startswith("themes: expected a list of strings")
    assert _message(search=5).startswith("search: expected text")


def test_check_themes_suggests_the_closest_known() -> None:
    spec = ViewSpec(themes=["united-front", "unted-front"])
    with pytest.raises(ViewSpecError) as info:
        spec.check_themes(["united-front", "censorship"])
    assert str(info.value) == "unknown theme 'unted-front' — did you mean 'united-front'?"
    with pytest.raises(ViewSpecError) as info:
        ViewSpec(themes=["zzz"]).check_themes(["united-front"])
    assert str(info.value) == "unknown theme 'zzz'"
    ViewSpec(themes=["censorship"]).check_themes(["censorship"])


def test_immutable_and_replace_validates() -> None:
    spec = ViewSpec(themes=["a"])
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.themes = ("b",)  # type: ignore[misc]
    assert spec.replace(every="year").every == "year"
    assert spec.replace(every="year").themes == ("a",)
    with pytest.raises(ViewSpecError):
        spec.replace(every="fortnight")
    cleared = ViewSpec(themes=["a"], since="2020-01-01", every="day", smooth=3).cleared()
    assert cleared == ViewSpec(every="day", smooth=3)


def test_summary_line() -> None:
    assert ViewSpec().summary() == "no filters"
    spec = ViewSpec(themes=["a", "b"], regions=["Pacific"], since="2018-01-01", search="x")
    assert spec.summary() == "themes: a, b; regions: Pacific; 2018-01-01 to …; search: 'x'"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[filters\n", "v.toml: not valid TOML"),
        ("[chart]\nx = 1\n", "v.toml: unknown table [chart] (expected [filters] and [view])"),
        ("[filters]\nthemse = []\n", "v.toml: unknown key 'themse' in [filters] — did you mean"),
        ("[view]\nevery = 'weekly'\n", "v.toml: every: 'weekly' is not one of"),
        ("filters = 3\n", "v.toml: [filters] must be a table"),
        ("[filters]\nsince = 2020-01-01T10:00:00\nuntil = 2019-01-01\n",
         "v.toml: since 2020-01-01"),
    ],
)
def test_view_file_errors_name_the_file(text: str, expected: str) -> None:
    with pytest.raises(ViewSpecError) as info:
        ViewSpec.from_toml(text, origin="v.toml")
    assert str(info.value).startswith(expected)


def test_load_names_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "none.toml"
    with pytest.raises(ViewSpecError) as info:
        ViewSpec.load(missing)
    assert str(info.value).startswith(f"{missing}: cannot read the view file")
    binary = tmp_path / "bin.toml"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ViewSpecError) as info:
        ViewSpec.load(binary)
    assert str(info.value) == f"{binary}: not a UTF-8 text file"


def test_save_is_atomic_and_loads_back(tmp_path: Path) -> None:
    spec = ViewSpec(themes=["united-front"], regions=["Pacific"], search='a "quoted" \\ text')
    target = tmp_path / "sub" / "view.toml"
    spec.save(target)
    assert ViewSpec.load(target) == spec
    assert [p.name for p in target.parent.iterdir()] == ["view.toml"]  # no temp file left
    spec.replace(every="year").save(target)
    assert ViewSpec.load(target).every == "year"


# -- round trip -----------------------------------------------------------------------------------

_text = st.text(min_size=1, max_size=12)
_dates = st.dates(min_value=date(1990, 1, 1), max_value=date(2035, 12, 31))


@st.composite
def view_specs(draw: st.DrawFn) -> ViewSpec:
    since = draw(st.none() | _dates)
    until = draw(st.none() | _dates)
    if since and until and since > until:
        since, until = until, since
    return ViewSpec(
        themes=draw(st.lists(_text, max_size=4)),
        regions=draw(st.lists(st.sampled_from(REGIONS), max_size=3)),
        countries=draw(st.lists(st.sampled_from(["FR", "DE", "KE", "FJ", "CN"]), max_size=3)),
        sources=draw(st.lists(_text, max_size=3)),
        since=since,
        until=until,
        search=draw(st.none() | st.text(max_size=20)),
        every=draw(st.sampled_from(EVERY)),
        metric=draw(st.sampled_from(METRICS)),
        by_region=draw(st.booleans()),
        smooth=draw(st.integers(1, MAX_SMOOTH)),
        table=draw(st.sampled_from(TABLES)),
    )


@settings(max_examples=200, deadline=None)
@given(view_specs())
def test_toml_round_trip(spec: ViewSpec) -> None:
    assert ViewSpec.from_toml(spec.to_toml()) == spec


@settings(max_examples=30, deadline=None)
@given(spec=view_specs())
def test_file_round_trip(tmp_path_factory: pytest.TempPathFactory, spec: ViewSpec) -> None:
    path = tmp_path_factory.mktemp("views") / "v.toml"
    assert ViewSpec.load(spec.save(path)) == spec
