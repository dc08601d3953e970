"""The dashboard shell: header, tabs, filter keys, undo/redo, drill-down, help and palette.

Numbers on screen are checked against `store.aggregate` run on the same view.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from dashboard_helpers import settle, small_db
from polars.testing import assert_frame_equal
from textual.widgets import Static, TabbedContent

from importers.demo import build_sample_database
from store import aggregate
from store.db import reading
from store.viewspec import EVERY, ViewSpec
from tui.app import TABS, DashboardApp
from tui.messages import ApplyView, DrillDown

SIZES = [(80, 24), (120, 36)]


@pytest.fixture(scope="session")
def db() -> Path:
    return small_db()


def make_app(db: Path, tmp_path: Path, **kwargs: object) -> DashboardApp:
    return DashboardApp(
        db_path=db, poll_seconds=0, preload_delay=0, cwd=tmp_path, config_path=tmp_path / "cfg",
        **kwargs)  # type: ignore[arg-type]


def text(app: DashboardApp, selector: str) -> str:
    return str(app.query_one(selector, Static).render())


def same(shown: pl.DataFrame, expected: pl.DataFrame) -> bool:
    """Equal frames (floats within rounding: DuckDB may sum in any order)."""
    assert_frame_equal(shown, expected, check_exact=False)
    return True


def expected_trends(db: Path, spec: ViewSpec) -> pl.DataFrame:
    with reading(db) as con:
        return aggregate.trends(con, spec.replace(table="trends"))


@pytest.mark.parametrize("size", SIZES)
async def test_opens_with_header_tabs_and_quits(db: Path, tmp_path: Path,
                                                size: tuple[int, int]) -> None:
    app = make_app(db, tmp_path)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        with reading(db) as con:
            overview = aggregate.overview(con, ViewSpec())
        header = text(app, "#header")
        assert header.startswith("small.duckdb")
        assert f"{overview['total_articles']:,} articles" in header
        assert text(app, "#summary").startswith(f"{overview['matching']:,} match · Filters")
        assert f"{overview['first_day']}..{overview['last_day']}" in header
        assert "demo data" in header
        assert "no filters" in text(app, "#summary")
        assert text(app, "#status").startswith("Trends:")
        assert set(app.shown) == set(TABS)
        assert same(app.data["trends"][0], expected_trends(db, ViewSpec()))
        await pilot.press("q")
    assert app.return_code == 0


@pytest.mark.parametrize("size", SIZES)
async def test_grouping_keys_change_the_view_and_the_numbers(
    db: Path, tmp_path: Path, size: tuple[int, int]
) -> None:
    app = make_app(db, tmp_path)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        steps = [
            ("g", {"every": EVERY[(EVERY.index("month") + 1) % len(EVERY)]}),
            ("g", {"every": "year"}),
            ("g", {"every": "day"}),
            ("g", {"every": "week"}),
            ("m", {"metric": "share"}),
            ("m", {"metric": "tone"}),
            ("m", {"metric": "count"}),
            ("plus", {"smooth": 2}),
            ("plus", {"smooth": 3}),
            ("minus", {"smooth": 2}),
            ("b", {"by_region": True}),
        ]
        for key, change in steps:
            before = app.spec
            await pilot.press(key)
            await settle(pilot)
            assert app.spec == before.replace(**change), key
            assert same(app.data["trends"][0], expected_trends(db, app.spec)), key
            assert app.shown["trends"] == app.spec.replace(table="trends")
            with reading(db) as con:
                spikes = aggregate.spikes(con, app.spec.replace(table="trends"))
            assert same(app.data["trends"][1], spikes), key
        assert "region" in app.data["trends"][0].columns
        assert "week · count · smoothed over 2 · by region" in text(app, "#summary")
        await pilot.press("q")


async def test_smoothing_stops_at_one(db: Path, tmp_path: Path) -> None:
    app = make_app(db, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("minus")
        await settle(pilot)
        assert app.spec.smooth == 1 and app.position == 0
        assert "no smoothing" in text(app, "#status")


async def test_undo_redo_and_clear(db: Path, tmp_path: Path) -> None:
    view = ViewSpec(themes=("united-front",), regions=("Africa",))
    app = make_app(db, tmp_path, view=view)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "themes: united-front; regions: Africa" in text(app, "#summary")
        await pilot.press("g", "b")
        await settle(pilot)
        assert app.spec == view.replace(every="quarter", by_region=True)
        await pilot.press("x")
        await settle(pilot)
        assert app.spec == ViewSpec(every="quarter", by_region=True)
        assert not app.spec.has_filters
        with reading(db) as con:
            everything = aggregate.count_matching(con, ViewSpec())
            africa = aggregate.count_matching(con, view)
        assert f"{everything:,} match" in text(app, "#summary")
        await pilot.press("u")
        await settle(pilot)
        assert app.spec == view.replace(every="quarter", by_region=True)
        assert f"{africa:,} match" in text(app, "#summary")
        assert same(app.data["trends"][0], expected_trends(db, app.spec))
        await pilot.press("u", "u")
        await settle(pilot)
        assert app.spec == view
        await pilot.press("u")
        await settle(pilot)
        assert app.spec == view and "nothing to undo" in text(app, "#status")
        await pilot.press("U", "U")
        await settle(pilot)
        assert app.spec == view.replace(every="quarter", by_region=True)
        await pilot.press("U")
        await settle(pilot)
        assert app.spec == ViewSpec(every="quarter", by_region=True)
        await pilot.press("U")
        await settle(pilot)
        assert "nothing to redo" in text(app, "#status")
        # a new change after an undo drops the redo branch
        await pilot.press("u", "m")
        await settle(pilot)
        await pilot.press("U")
        await settle(pilot)
        assert app.spec.metric == "share" and app.spec.has_filters


@pytest.mark.parametrize("size", SIZES)
async def test_number_keys_switch_tabs(db: Path, tmp_path: Path, size: tuple[int, int]) -> None:
    app = make_app(db, tmp_path)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        tabs = app.query_one("#tabs", TabbedContent)
        for key, tab in zip("2341", ("regions", "articles", "cooccurrence", "trends"), strict=True):
            await pilot.press(key)
            await settle(pilot)
            assert tabs.active == f"pane-{tab}"
            assert app.spec.table == tab
            assert text(app, "#status").startswith(
                {"regions": "Regions", "articles": "Articles", "cooccurrence": "Co-occurrence",
                 "trends": "Trends"}[tab])
        assert app.position == 0  # switching tabs is not a change to undo
        with reading(db) as con:
            keys = aggregate.article_keys(con, ViewSpec())
            regions = aggregate.regions(con, ViewSpec(table="regions"))
            cooc = aggregate.cooccurrence(con, ViewSpec(table="cooccurrence"))
        assert app.data["articles"][0].equals(keys)
        assert same(app.data["regions"][0], regions)
        assert same(app.data["cooccurrence"][0], cooc)


async def test_a_filter_change_reloads_the_current_tab_first(db: Path, tmp_path: Path) -> None:
    app = make_app(db, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        order: list[str] = []
        original = app._query_tab

        def record(con, spec, tab):  # type: ignore[no-untyped-def]
            order.append(tab)
            return original(con, spec, tab)

        app._query_tab = record  # type: ignore[method-assign]
        app.push_spec(app.spec.replace(themes=("united-front",)))
        await settle(pilot)
        assert order[0] == "regions" and set(order) == set(TABS)
        order.clear()
        await pilot.press("g")  # only the Trends frame depends on the granularity
        await settle(pilot)
        assert order == ["trends"]


async def test_drill_down_opens_the_articles_and_undo_returns(db: Path, tmp_path: Path) -> None:
    app = make_app(db, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        target = ViewSpec(themes=("united-front",), since="2018-01-01", until="2018-03-31",
                          table="articles")
        app.tab_widget("trends").post_message(DrillDown(target, "united-front, 2018 Q1"))
        await settle(pilot)
        assert app.spec == target
        assert app.query_one("#tabs", TabbedContent).active == "pane-articles"
        with reading(db) as con:
            keys = aggregate.article_keys(con, target)
        assert app.data["articles"][0].equals(keys)
        assert "united-front, 2018 Q1" in text(app, "#status")
        assert f"{len(keys):,} articles" in text(app, "#status")
        await pilot.press("u")
        await settle(pilot)
        assert app.spec == ViewSpec()
        assert app.query_one("#tabs", TabbedContent).active == "pane-trends"


async def test_apply_view_is_pushed_like_a_filter_change(db: Path, tmp_path: Path) -> None:
    app = make_app(db, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("4")
        await settle(pilot)
        pair = ViewSpec(themes=("united-front", "state-media"), table="cooccurrence")
        app.tab_widget("cooccurrence").post_message(ApplyView(pair, "pair"))
        await settle(pilot)
        assert app.spec == pair and app.position == 1
        with reading(db) as con:
            assert same(app.data["cooccurrence"][0], aggregate.cooccurrence(con, pair))


async def test_filter_panel_toggles_and_its_rows_edit_the_view(db: Path, tmp_path: Path) -> None:
    app = make_app(db, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        panel = app.query_one("#filter-panel")
        assert not panel.display  # collapsed to the summary line at 80x24
        await pilot.press("f")
        await pilot.pause()
        assert panel.display
        # the row "Every" cycles the granularity
        await pilot.press(*["down"] * 6, "enter")
        await settle(pilot)
        assert app.spec.every == "quarter"
        await pilot.press("f")
        await pilot.pause()
        assert not panel.display
    app = make_app(db, tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        assert app.query_one("#filter-panel").display  # open by default on a wide terminal


async def test_help_lists_every_key_with_its_id(db: Path, tmp_path: Path) -> None:
    from textual.widgets import DataTable

    from tui.screens.help import HelpScreen

    app = make_app(db, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        table = app.screen.query_one("#help-table", DataTable)
        rows = [tuple(str(c) for c in table.get_row_at(i)) for i in range(table.row_count)]
        ids = {r[2] for r in rows}
        for binding in app.BINDINGS:
            assert binding.id in ids  # type: ignore[union-attr]
        by_id = {r[2]: r for r in rows}
        assert by_id["undo"][0] == "u" and by_id["help"][0] == "?, F1"
        assert by_id["granularity"][1].startswith("Granularity")
        assert any(r[0] == "Ctrl+P" for r in rows)
        assert "keymap.toml" in str(app.screen.query_one("#help-keymap", Static).render())
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)


async def test_palette_offers_every_action(db: Path, tmp_path: Path) -> None:
    app = make_app(db, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        titles = {c.title for c in app.get_system_commands(app.screen)}
        for binding in app.BINDINGS:
            if binding.id != "quit":  # type: ignore[union-attr]
                assert binding.tooltip in titles  # type: ignore[union-attr]
        assert "Quit" in titles
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"granularity")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(pilot)
        assert app.spec.every == "quarter"


async def test_no_key_depends_only_on_tmux_or_flow_control_keys(db: Path,
                                                                tmp_path: Path) -> None:
    app = make_app(db, tmp_path)
    for binding in app.BINDINGS:
        keys = {k.strip() for k in binding.key.split(",")}  # type: ignore[union-attr]
        assert keys - {"ctrl+b", "ctrl+s", "ctrl+q"}


async def test_missing_database_reported_on_status_line(tmp_path: Path) -> None:
    app = make_app(tmp_path / "absent.duckdb", tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "absent.duckdb" in text(app, "#status")
        await pilot.press("q")


async def test_new_import_is_reported_and_r_reloads(tmp_path: Path) -> None:
    path = tmp_path / "grow.duckdb"
    build_sample_database(path, 500, 1)
    app = make_app(path, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        before = text(app, "#header")
        build_sample_database(path, 800, 2)
        with reading(path) as con:
            total = aggregate.overview(con, ViewSpec())["total_articles"]
        app.poll_new_data()
        await settle(pilot)
        assert "new data — press R to reload" in text(app, "#status")
        await pilot.press("R")
        await settle(pilot)
        assert f"{total:,} articles" in text(app, "#header") != before
        assert text(app, "#status").startswith("reloaded · Trends")
        with reading(path) as con:
            newest = con.sql("SELECT max(import_id) FROM imports").fetchall()[0][0]
        assert app.working_set is not None and app.working_set.import_id == newest
        assert same(app.data["trends"][0], expected_trends(path, app.spec))
        await pilot.press("q")


async def test_new_data_is_never_mixed_with_what_was_kept(tmp_path: Path) -> None:
    path = tmp_path / "grow.duckdb"
    build_sample_database(path, 500, 1)
    app = make_app(path, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("g")
        await settle(pilot)
        assert len(app.cache) and app.working_set is not None
        build_sample_database(path, 800, 2)
        app.poll_new_data()
        await settle(pilot)
        assert "new data" in text(app, "#status")
        assert not len(app.cache) and app.working_set is None
        await pilot.press("u")  # a view read before: now read again, from the file
        await settle(pilot)
        assert same(app.data["trends"][0], expected_trends(path, app.spec))
        await pilot.press("q")


async def test_going_back_to_a_view_reads_nothing(db: Path, tmp_path: Path) -> None:
    app = make_app(db, tmp_path, view=ViewSpec(themes=("united-front", "state-media")))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("g", "b")
        await settle(pilot)
        reads: list[str] = []
        original = app._query_tab

        def counted(con, spec, tab):  # type: ignore[no-untyped-def]
            reads.append(tab)
            return original(con, spec, tab)

        app._query_tab = counted  # type: ignore[method-assign]
        await pilot.press("u", "u", "U", "m")
        await settle(pilot)
        assert reads == []  # undo, redo, count -> share: every number was read before
        assert app.spec.metric == "share" and app.spec.every == "quarter"
        assert not app.spec.by_region
        assert same(app.data["trends"][0], expected_trends(db, app.spec))
        await pilot.press("q")


async def test_the_working_set_answers_trends_without_the_file(db: Path,
                                                               tmp_path: Path) -> None:
    from contextlib import contextmanager

    app = make_app(db, tmp_path, view=ViewSpec(themes=("united-front", "state-media"),
                                               regions=("Africa", "Europe")))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.working_set is not None
        opened: list[str] = []
        original = app._view_connection

        @contextmanager
        def counted():  # type: ignore[no-untyped-def]
            opened.append("file")
            with original() as con:
                yield con

        app._view_connection = counted  # type: ignore[method-assign]
        for key in ("g", "b", "g"):
            await pilot.press(key)
            await settle(pilot)
            assert same(app.data["trends"][0], expected_trends(db, app.spec))
            with reading(db) as con:
                assert same(app.data["regions"][0], aggregate.regions(con, app.spec))
        assert opened == []  # trends from memory; the other tabs' filters did not change
        await pilot.press("/")
        await pilot.press(*"port", "enter")
        await settle(pilot)
        assert app.spec.search == "port" and opened  # a text search needs the articles
        assert same(app.data["trends"][0], expected_trends(db, app.spec))
        await pilot.press("q")


async def test_ascii_mode_spinner_and_attribute(db: Path, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOFTPOWER_ASCII", "1")
    app = make_app(db, tmp_path)
    assert app.ascii_only
    async with app.run_test(size=(80, 24)) as pilot:
        app.loading = "trends"
        app._draw_status()
        assert text(app, "#status")[0] in "|/-\\"
        await settle(pilot)


@pytest.mark.parametrize("size", SIZES)
async def test_table_and_plot_show_the_new_numbers(db: Path, tmp_path: Path,
                                                   size: tuple[int, int]) -> None:
    from textual.widgets import DataTable

    from tui.plotting import TrendPlot

    app = make_app(db, tmp_path, view=ViewSpec(themes=("united-front", "state-media")))
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        for key, every in (("g", "quarter"), ("g", "year")):
            await pilot.press(key)
            await settle(pilot)
            assert app.spec.every == every
            expected = expected_trends(db, app.spec)
            table = app.query_one("#trends-table", DataTable)
            plot = app.query_one(TrendPlot)
            for index, theme in enumerate(("united-front", "state-media")):
                series = expected.filter(pl.col("theme") == theme)
                labels = [str(c.label) for c in table.ordered_columns]
                row = dict(zip(labels, (str(c) for c in table.get_row_at(index)), strict=True))
                assert row["theme"] == theme
                assert row["articles"] == f"{series['articles'].sum():,}"
                assert row["last"] == f"{series['articles'][-1]:,}"
                drawn = plot.series[index]
                assert drawn.dates == tuple(p.isoformat() for p in series["period"])
                assert list(drawn.values) == series["articles"].to_list()


async def test_a_newer_request_interrupts_the_older_query(db: Path, tmp_path: Path) -> None:
    import asyncio
    import threading

    import duckdb

    from tui.app import data_key

    app = make_app(db, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        started = threading.Event()
        outcomes: list[str] = []
        original = app._query_tab

        def slow(con, spec, tab):  # type: ignore[no-untyped-def]
            if spec.themes == ("united-front",):  # the request that is superseded
                started.set()
                try:  # hours of work unless interrupted
                    con.sql("SELECT sum(a.range * random()) FROM range(10000000000000) a"
                            ).fetchall()
                except duckdb.InterruptException:
                    outcomes.append("interrupted")
                    raise
            return original(con, spec, tab)

        app._query_tab = slow  # type: ignore[method-assign]
        await pilot.press("2")  # the Regions tab's own query is the one to interrupt
        await settle(pilot)
        app.push_spec(app.spec.replace(themes=("united-front",)))
        assert await asyncio.to_thread(started.wait, 30)
        app.push_spec(app.spec.replace(themes=("state-media",)))
        await settle(pilot)
        assert outcomes == ["interrupted"]
        assert app.spec.themes == ("state-media",)
        assert app.shown["regions"] == data_key(app.spec)
        with reading(db) as con:
            assert same(app.data["regions"][0], aggregate.regions(con, app.spec))


async def test_no_color_gives_a_monochrome_screen(db: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import re

    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(db, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.no_color
        svg = re.sub(r"<circle[^>]*/>", "", app.export_screenshot())  # the window's buttons
        colours = set(re.findall(r"fill:\s*#([0-9a-fA-F]{6})", svg))
        colours |= set(re.findall(r'fill="#([0-9a-fA-F]{6})"', svg))
        assert colours
        for colour in colours:
            r, g, b = (int(colour[i:i + 2], 16) for i in (0, 2, 4))
            assert max(r, g, b) - min(r, g, b) <= 16, colour  # greys only


async def test_lock_waits_show_on_the_status_line(db: Path, tmp_path: Path) -> None:
    import asyncio

    app = make_app(db, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await asyncio.to_thread(app._lock_wait, "waiting for a writer to release x.duckdb", 3.2)
        await pilot.pause()
        assert "waiting for a writer to release x.duckdb (3 s)" in text(app, "#status")


async def test_every_key_at_120x36(db: Path, tmp_path: Path) -> None:
    """One session through every dashboard key on a wide terminal."""
    from datetime import date

    from textual.widgets import Input

    from tui.screens.help import HelpScreen

    app = make_app(db, tmp_path, view=ViewSpec(themes=("united-front", "state-media")))
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)

        async def press(*keys: str) -> None:
            for key in keys:
                await pilot.press(key)
                await settle(pilot)

        await press("enter")  # Enter on the first series row drills into its articles
        assert app.spec.themes == ("united-front",) and app.spec.table == "articles"
        assert app.query_one("#tabs", TabbedContent).active == "pane-articles"
        await press("u")
        assert app.spec == ViewSpec(themes=("united-front", "state-media"))
        await press("r", *"pacific", "space", "enter")
        assert app.spec.regions == ("Pacific",)
        await press("k", *"fiji", "space", "enter")
        assert app.spec.countries == ("FJ",)
        await press("k", "ctrl+x", "enter")
        assert app.spec.countries == ()
        await press("p", "space", "enter")
        assert len(app.spec.sources) == 1
        await press("d", "tab", "tab", "down", "down", "enter")
        assert app.spec.since == date(2018, 1, 1)
        await press("slash", *"the", "enter")
        assert app.spec.search == "the"
        assert same(app.data["trends"][0], expected_trends(db, app.spec))
        filtered = app.spec
        await press("x")
        assert not app.spec.has_filters
        await press("u")
        assert app.spec == filtered
        await press("U", "u")
        assert app.spec == filtered
        await press("s", *"wide", "enter")
        assert ViewSpec.load(tmp_path / "cfg" / "views" / "wide.toml") == filtered
        await press("x", "o", "enter")
        assert app.spec == filtered
        await press("e")
        name = app.screen.query_one("#export-name", Input).value
        await press("enter")
        assert (tmp_path / name).exists()
        await press("R")
        assert app.spec == filtered and text(app, "#status").startswith("reloaded")
        await press("f")
        assert not app.query_one("#filter-panel").display
        await press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await press("escape", "q")
    assert app.return_code == 0
