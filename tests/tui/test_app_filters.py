"""Filter dialogs: themes tree, regions/countries/sources lists (counts under the other filters,
type to narrow), the date range (typed and presets) and search — each changes the view, and the
header and tables show the new numbers."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from dashboard_helpers import settle, small_db
from textual.widgets import Input, SelectionList, Static, Tree

from store import aggregate
from store.db import reading
from store.viewspec import ViewSpec
from tui.app import DashboardApp
from tui.screens.filters import (
    DateRangeScreen,
    FacetScreen,
    SearchScreen,
    ThemeScreen,
    date_presets,
)

SIZES = [(80, 24), (120, 36)]


@pytest.fixture(scope="session")
def db() -> Path:
    return small_db()


def make_app(db: Path, tmp_path: Path, view: ViewSpec | None = None) -> DashboardApp:
    return DashboardApp(
        db_path=db, poll_seconds=0, preload_delay=0, cwd=tmp_path, config_path=tmp_path / "cfg",
        view=view)


def header(app: DashboardApp) -> str:
    return str(app.query_one("#summary", Static).render())


def matching(db: Path, spec: ViewSpec) -> int:
    with reading(db) as con:
        return aggregate.count_matching(con, spec)


def assert_numbers_follow(app: DashboardApp, db: Path) -> None:
    with reading(db) as con:
        trends = aggregate.trends(con, app.spec.replace(table="trends"))
    assert app.data["trends"][0]["articles"].to_list() == trends["articles"].to_list()
    assert f"{matching(db, app.spec):,} match" in header(app)


@pytest.mark.parametrize("size", SIZES)
async def test_themes_tree_with_counts_narrow_toggle_apply(db: Path, tmp_path: Path,
                                                           size: tuple[int, int]) -> None:
    app = make_app(db, tmp_path, ViewSpec(regions=("Africa",)))
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)
        assert isinstance(app.screen, ThemeScreen)
        tree = app.screen.query_one("#choices", Tree)
        with reading(db) as con:
            counts = aggregate.facet_counts(con, app.spec, "themes")
        parents = {r["value"]: r for r in counts.iter_rows(named=True)}
        top = [str(n.label) for n in tree.root.children]
        assert top and all("·" in label for label in top)
        first = tree.root.children[0]
        row = parents[first.data]
        assert row["parent"] is None and str(first.label).endswith(f"{row['articles']:,}")
        assert first.children  # parents hold their children
        await pilot.press(*"front")
        await pilot.pause()
        labels = [str(n.label) for n in tree.root.children]
        assert len(labels) == 1 and "Influence networks" in labels[0]
        assert [n.data for n in tree.root.children[0].children] == ["united-front"]
        await pilot.press("space")  # the cursor is on the first match, not its parent
        await pilot.pause()
        assert str(tree.root.children[0].children[0].label).startswith("[x]")
        await pilot.press("enter")
        await settle(pilot)
        assert app.spec == ViewSpec(regions=("Africa",), themes=("united-front",))
        assert_numbers_follow(app, db)
        await pilot.press("t")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert app.spec.themes == ("united-front",) and app.position == 1


@pytest.mark.parametrize(("key", "facet", "needle", "value"), [
    ("r", "regions", "pac", "Pacific"),
    ("k", "countries", "fiji", "FJ"),
    ("p", "sources", "kestrel", "Kestrel Wire"),
])
async def test_facet_lists_with_counts(db: Path, tmp_path: Path, key: str, facet: str,
                                       needle: str, value: str) -> None:
    view = ViewSpec(themes=("united-front",))
    app = make_app(db, tmp_path, view)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press(key)
        await settle(pilot)
        assert isinstance(app.screen, FacetScreen)
        choices = app.screen.query_one("#choices", SelectionList)
        with reading(db) as con:
            counts = aggregate.facet_counts(con, view, facet)
        assert choices.option_count == counts.height
        first = str(choices.get_option_at_index(0).prompt)
        assert first.split()[0] == f"{counts['articles'][0]:,}"
        await pilot.press(*needle)
        await pilot.pause()
        assert 1 <= choices.option_count < counts.height
        await pilot.press("space", "enter")
        await settle(pilot)
        assert getattr(app.spec, facet) == (value,)
        assert_numbers_follow(app, db)


async def test_date_range_typed_checked_and_presets(db: Path, tmp_path: Path) -> None:
    app = make_app(db, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, DateRangeScreen)
        await pilot.press(*"2018-13-01")
        await pilot.pause()
        error = app.screen.query_one("#date-error", Static)
        assert "not a date" in str(error.render())
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, DateRangeScreen)  # refused
        app.screen.query_one("#since", Input).value = "2019-01-01"
        await pilot.press("tab", *"2018-01-01")
        await pilot.pause()
        assert "out of order" in str(error.render())
        app.screen.query_one("#until", Input).value = "2020-06-30"
        await pilot.pause()
        assert str(error.render()) == ""
        await pilot.press("enter")
        await settle(pilot)
        assert (app.spec.since, app.spec.until) == (date(2019, 1, 1), date(2020, 6, 30))
        assert "2019-01-01 to 2020-06-30" in str(app.query_one("#summary").render())
        assert_numbers_follow(app, db)
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("tab", "tab", "down", "down", "enter")  # presets: since 2018
        await settle(pilot)
        assert (app.spec.since, app.spec.until) == (date(2018, 1, 1), None)
        assert_numbers_follow(app, db)


def test_date_presets_follow_the_corpus_end() -> None:
    presets = date_presets(date(2026, 10, 31))
    assert [(s, u) for _, s, u in presets] == [
        (date(2025, 11, 1), date(2026, 10, 31)), (date(2021, 11, 1), date(2026, 10, 31)),
        (date(2018, 1, 1), None), (None, None)]
    assert date_presets(date(2024, 2, 29))[0][1] == date(2023, 3, 1)
    assert date_presets(None) == [("all dates", None, None)]


async def test_search(db: Path, tmp_path: Path) -> None:
    app = make_app(db, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        await pilot.pause()
        assert isinstance(app.screen, SearchScreen)
        await pilot.press(*"Confucius", "enter")
        await settle(pilot)
        assert app.spec.search == "Confucius"
        assert "search: 'Confucius'" in str(app.query_one("#summary").render())
        assert 0 < matching(db, app.spec) < 2000
        assert_numbers_follow(app, db)
        await pilot.press("slash")
        await pilot.pause()
        app.screen.query_one("#search", Input).value = ""
        await pilot.press("enter")
        await settle(pilot)
        assert app.spec.search is None


async def test_dashboard_keys_do_nothing_under_a_dialog(db: Path, tmp_path: Path) -> None:
    app = make_app(db, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        await pilot.press("down", "g", "2", "q")
        await pilot.pause()
        assert isinstance(app.screen, FacetScreen)
        assert app.spec == ViewSpec()
        await pilot.press("escape")
        await pilot.pause()
        assert app.spec == ViewSpec() and app.is_running


async def test_untrusted_text_is_shown_literally(tmp_path: Path) -> None:
    import json

    from click.testing import CliRunner

    from tui.cli import main

    records = [
        {"id": f"x{i}", "title": "[bold]t[/bold]", "published": f"2020-01-0{i + 1}",
         "source": "[red]Evil[/red] \x1b[31mNews", "themes": ["united-front"],
         "countries": ["FJ"]}
        for i in range(3)
    ]
    source = tmp_path / "evil.jsonl"
    source.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    db = tmp_path / "[b]db[i].duckdb"
    result = CliRunner().invoke(main, ["import", str(source), "--db", str(db)])
    assert result.exit_code == 0, result.output
    app = make_app(db, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert str(app.query_one("#header", Static).render()).startswith("[b]db[i].duckdb")
        await pilot.press("p")
        await settle(pilot)
        choices = app.screen.query_one("#choices", SelectionList)
        prompt = str(choices.get_option_at_index(0).prompt)
        assert "[red]Evil[/red] \\x1b[31mNews" in prompt
        await pilot.press("space", "enter")
        await settle(pilot)
        assert app.spec.sources == ("[red]Evil[/red] \x1b[31mNews",)
        summary = str(app.query_one("#summary", Static).render())
        assert "[red]Evil[/red] \\x1b[31mNews" in summary and "\x1b" not in summary
