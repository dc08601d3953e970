"""The Trends tab: plot, per-series table, note for more than eight series, spikes, drill-down."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from tabs_helpers import TabApp, screen_text
from textual.widgets import DataTable

from store.viewspec import ViewSpec
from tui.plotting import TrendPlot, downsample
from tui.sparkline import BLOCKS
from tui.tabs.trends import TrendsTab

SIZES = [(80, 24), (120, 36)]


def months(n: int, start: date = date(2020, 1, 1)) -> list[date]:
    out = []
    year, month = start.year, start.month
    for _ in range(n):
        out.append(date(year, month, 1))
        month += 1
        if month > 12:
            year, month = year + 1, 1
    return out


def trends_frame(series: dict[str, list[int]], *, region: dict[str, str] | None = None,
                 total: int = 100, periods: list[date] | None = None) -> pl.DataFrame:
    """A trends frame as store.aggregate.trends returns it (one row per series and period)."""
    rows = []
    for name, counts in series.items():
        for period, n in zip(periods or months(len(counts)), counts, strict=True):
            row = {"period": period, "theme": name.split("@")[0], "articles": n, "total": total,
                   "share": n / total}
            if region is not None:
                row["region"] = region[name]
            rows.append(row)
    cols = ["period", "theme", *(["region"] if region is not None else []),
            "articles", "total", "share"]
    return pl.DataFrame(rows).select(cols).with_columns(
        pl.col("articles").cast(pl.Int64), pl.col("total").cast(pl.Int64))


def no_spikes(by_region: bool = False) -> pl.DataFrame:
    return pl.DataFrame(schema={"period": pl.Date, "theme": pl.String,
                                **({"region": pl.String} if by_region else {}),
                                "articles": pl.Int64, "baseline": pl.Float64, "z": pl.Float64})


def table_rows(tab: TrendsTab) -> list[list[str]]:
    table = tab.query_one("#trends-table", DataTable)
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


@pytest.mark.parametrize("size", SIZES)
async def test_table_numbers_and_sparkline(size: tuple[int, int]) -> None:
    tab = TrendsTab(id="trends")
    app = TabApp(tab)
    frame = trends_frame({"united-front": [1, 2, 3, 4, 10, 20], "confucius": [5, 5, 5, 5, 5, 4]})
    async with app.run_test(size=size) as pilot:
        tab.show(ViewSpec(themes=("united-front", "confucius")), frame, no_spikes())
        await pilot.pause()
        rows = table_rows(tab)
        assert [r[0] for r in rows] == ["united-front", "confucius"]
        uf = rows[0]
        assert uf[2] == "40"                      # articles over the range
        assert uf[3] == "6.67%"                   # 40 / 600
        assert uf[4] == "20"                      # last period
        assert uf[5] == "+10 (+100%)"             # against the period before
        assert uf[6] == "2020-06"                 # peak period
        assert uf[1][-1] == BLOCKS[-1] and uf[1][0] == BLOCKS[0]  # sparkline
        assert rows[1][5] == "-1 (-20%)"
        screen = screen_text(app)
        assert "united-front" in screen and "+10 (+100%)" in screen
        assert "not drawn" not in screen
        plot = tab.query_one(TrendPlot)
        assert plot.builds == 1 and plot.points_drawn == 12


async def test_more_than_eight_series_named_in_note() -> None:
    tab = TrendsTab(id="trends")
    app = TabApp(tab)
    names = [f"theme-{i:02d}" for i in range(11)]
    frame = trends_frame({name: [i + 1, i + 2, i + 3] for i, name in enumerate(names)})
    async with app.run_test(size=(120, 36)) as pilot:
        tab.show(ViewSpec(themes=tuple(names)), frame, no_spikes())
        await pilot.pause()
        plot = tab.query_one(TrendPlot)
        assert [s.name for s in plot.series] == names[:8]
        assert tab.hidden == names[8:]
        screen = screen_text(app)
        assert "showing 8 of 11 series; not drawn: theme-08, theme-09, theme-10" in screen
        assert len(table_rows(tab)) == 11  # the table lists every series
        many = [f"t-{i:02d}" for i in range(20)]
        tab.show(ViewSpec(themes=tuple(many)),
                 trends_frame({name: [i + 1, i + 2] for i, name in enumerate(many)}), no_spikes())
        await pilot.pause()
        note = str(tab._note())
        assert "not drawn: t-08, t-09, t-10, t-11, t-12 and 7 more" in note


async def test_plot_rebuilt_only_when_data_or_size_change() -> None:
    tab = TrendsTab(id="trends")
    app = TabApp(tab)
    frame = trends_frame({"a": [1, 2, 3], "b": [3, 2, 1]})
    spec = ViewSpec(themes=("a", "b"))
    async with app.run_test(size=(100, 30)) as pilot:
        tab.show(spec, frame, no_spikes())
        await pilot.pause()
        plot = tab.query_one(TrendPlot)
        assert plot.builds == 1
        await pilot.press("down", "up", "down")  # cursor moves repaint the table only
        tab.show(spec, frame, no_spikes())       # same data again
        plot.refresh()
        await pilot.pause()
        assert plot.builds == 1
        await pilot.resize_terminal(90, 30)
        await pilot.pause()
        assert plot.builds == 2
        tab.show(spec, trends_frame({"a": [1, 2, 4], "b": [3, 2, 1]}), no_spikes())
        await pilot.pause()
        assert plot.builds == 3
        drawn = str(plot.render())
        tab.show(spec, frame, no_spikes())  # back to the first data (an undo): built before
        await pilot.pause()
        assert plot.builds == 3 and str(plot.render()) != drawn


@pytest.mark.parametrize("size", SIZES)
async def test_plot_lines_are_what_textual_would_draw(size: tuple[int, int]) -> None:
    """The plot's strips, made straight from plotext's output, hold the same characters in the
    same styles as Textual's own rendering of the plot's Text."""
    from textual.widget import Widget

    tab = TrendsTab(id="trends")
    app = TabApp(tab)
    frame = trends_frame({"a": [1, 5, 3, 9, 2], "b": [4, 2, 6, 1, 7], "c": [0, 0, 3, 3, 8]})
    async with app.run_test(size=size) as pilot:
        tab.show(ViewSpec(themes=("a", "b", "c")), frame, no_spikes())
        await pilot.pause()
        plot = tab.query_one(TrendPlot)

        def cells(strip) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
            return [(ch, str(seg.style or "")) for seg in strip for ch in seg.text]

        ours = [cells(plot.render_line(y)) for y in range(plot.size.height)]
        plot._dirty_regions.add(plot.region)  # Textual's path renders afresh
        theirs = [cells(Widget.render_line(plot, y)) for y in range(plot.size.height)]
        assert ours == theirs
        assert any("┤" in "".join(ch for ch, _ in line) for line in ours)


async def test_downsampled_to_plot_width() -> None:
    tab = TrendsTab(id="trends")
    app = TabApp(tab)
    days = pl.date_range(date(2015, 1, 1), date(2024, 12, 31), "1d", eager=True).to_list()
    frame = trends_frame({"a": [i % 17 for i in range(len(days))]}, periods=days)
    async with app.run_test(size=(80, 24)) as pilot:
        tab.show(ViewSpec(themes=("a",), every="day"), frame, no_spikes())
        await pilot.pause()
        plot = tab.query_one(TrendPlot)
        assert len(days) > 3000
        assert 0 < plot.points_drawn <= plot.size.width


def test_downsample_keeps_first_dates_and_averages() -> None:
    dates = [f"2020-01-{d:02d}" for d in range(1, 11)]
    xs, ys = downsample(dates, [1.0, 3.0] * 5, 5)
    assert xs == ["2020-01-01", "2020-01-03", "2020-01-05", "2020-01-07", "2020-01-09"]
    assert ys == [2.0] * 5
    assert downsample(dates[:3], [1.0, 2.0, None], 5) == (dates[:3], [1.0, 2.0, None])


async def test_enter_on_series_drills_into_its_articles() -> None:
    tab = TrendsTab(id="trends")
    app = TabApp(tab)
    region = {"uf@af": "Africa", "uf@eu": "Europe"}
    frame = trends_frame({"uf@af": [1, 2], "uf@eu": [3, 4]}, region=region)
    spec = ViewSpec(themes=("uf",), by_region=True, since=date(2020, 1, 1))
    async with app.run_test(size=(80, 24)) as pilot:
        tab.show(spec, frame, no_spikes(by_region=True))
        await pilot.pause()
        await pilot.press("down", "enter")
        await pilot.pause()
    (drill,) = app.drills
    assert drill.spec == spec.replace(themes=("uf",), regions=("Europe",), table="articles")
    assert drill.title == "uf · Europe"


async def test_spikes_marked_listed_and_drilled() -> None:
    tab = TrendsTab(id="trends")
    app = TabApp(tab, ascii_only=True)
    frame = trends_frame({"uf": [2, 2, 2, 2, 2, 30, 2]})
    spikes = pl.DataFrame({"period": [date(2020, 6, 1)], "theme": ["uf"], "articles": [30],
                           "baseline": [2.0], "z": [28.0]})
    spec = ViewSpec(themes=("uf",), until=date(2020, 6, 20))
    async with app.run_test(size=(80, 24)) as pilot:
        tab.show(spec, frame, spikes)
        await pilot.pause()
        assert table_rows(tab)[0][7] == "1"
        assert "^" in tab.query_one("#trends-table", DataTable).ordered_columns[7].label.plain
        assert tab.query_one(TrendPlot).series[0].spikes == (("2020-06-01", 30.0),)
        screen = screen_text(app)
        assert "^ spike" in screen
        assert not any(ch in screen for ch in "⠁⠂⠄⡀▲█▁")  # ASCII only
        await pilot.press("v")
        assert table_rows(tab)[0][:2] == ["uf", "2020-06"]
        await pilot.press("enter")
        await pilot.pause()
    (drill,) = app.drills
    assert drill.spec == spec.replace(since=date(2020, 6, 1), until=date(2020, 6, 20),
                                      table="articles")
    assert drill.title == "uf, 2020-06"


async def test_metric_share_and_smoothed_column() -> None:
    tab = TrendsTab(id="trends")
    app = TabApp(tab)
    frame = trends_frame({"uf": [10, 20, 30]}).with_columns(
        pl.col("share").rolling_mean(2, min_samples=1).alias("smoothed"))
    spec = ViewSpec(themes=("uf",), metric="share", smooth=2)
    async with app.run_test(size=(120, 36)) as pilot:
        tab.show(spec, frame, no_spikes())
        await pilot.pause()
        row = table_rows(tab)[0]
        assert row[4] == "25.00%"      # smoothed share of the last period: (0.2 + 0.3) / 2
        assert row[5] == "+10.00 pt"   # against 15.00%
        assert tab.query_one(TrendPlot).series[0].values == pytest.approx((0.1, 0.15, 0.25))
        assert "trailing mean of 2" in screen_text(app)


async def test_hostile_theme_names_shown_literally() -> None:
    tab = TrendsTab(id="trends")
    app = TabApp(tab)
    names = ["[bold]x[/bold]", "\x1b]52;c;ZXZpbA==\x07", "\x1b[31mred"]
    frame = trends_frame({n: [1, 2] for n in names})
    async with app.run_test(size=(120, 36)) as pilot:
        tab.show(ViewSpec(), frame, no_spikes())
        await pilot.pause()
        screen = screen_text(app)
        assert "[bold]x[/bold]" in screen
        assert "\\x1b]52;c;ZXZpbA==\\x07" in screen
        assert "\\x1b[31mred" in screen
        assert "\x1b" not in screen and "\x07" not in screen


async def test_error_and_empty_messages() -> None:
    tab = TrendsTab(id="trends")
    app = TabApp(tab)
    async with app.run_test(size=(80, 24)) as pilot:
        tab.show(ViewSpec(), pl.DataFrame(
            schema={"period": pl.Date, "theme": pl.String, "articles": pl.Int64,
                    "total": pl.Int64, "share": pl.Float64}), no_spikes())
        await pilot.pause()
        assert "No articles match this view" in screen_text(app)
        tab.show_error("database is locked [by someone]")
        await pilot.pause()
        assert "Could not read the data: database is locked [by someone]" in screen_text(app)


async def test_no_color_gives_each_series_its_own_ascii_marker(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    tab = TrendsTab(id="trends")
    app = TabApp(tab)
    frame = trends_frame({"a": [1, 5, 2, 6], "b": [6, 2, 5, 1]})
    async with app.run_test(size=(80, 24)) as pilot:
        tab.show(ViewSpec(themes=("a", "b")), frame, no_spikes())
        await pilot.pause()
        screen = screen_text(app)
        assert "* a  + b" in screen
        plot_lines = [line for line in screen.splitlines() if "┤" in line]
        assert any("*" in line for line in plot_lines) and any("+" in line for line in plot_lines)
        assert not any("\u2800" <= ch <= "\u28ff" for ch in screen)  # no braille


async def test_spikes_view_lists_spikes_first() -> None:
    tab = TrendsTab(id="trends")
    app = TabApp(tab)
    frame = trends_frame({"uf": [2, 2, 2, 2, 2, 30]})
    spikes = pl.DataFrame({"period": [date(2020, 6, 1)], "theme": ["uf"], "articles": [30],
                           "baseline": [2.0], "z": [28.0]})
    async with app.run_test(size=(80, 24)) as pilot:
        tab.show(ViewSpec(themes=("uf",), table="spikes"), frame, spikes)
        await pilot.pause()
        assert table_rows(tab) == [["uf", "2020-06", "30", "2.0", "28.0"]]


@pytest.mark.parametrize("theme", ["dark", "clear", "pro", "matrix"])
@pytest.mark.parametrize("marker", ["braille", "*"])
def test_plot_text_is_what_rich_would_decode(theme: str, marker: str) -> None:
    from plotext._figure import _figure_class
    from rich.console import Console
    from rich.text import Text

    from tui.plotting import ansi_text

    figure = _figure_class()
    figure.plotsize(70, 12)
    figure._set_size(70, 12)
    figure.theme(theme)
    figure.date_form("Y-m-d")
    dates = [date(2020, m, 1).isoformat() for m in range(1, 13)]
    for index in range(3):
        figure.plot(dates, [(m * (index + 2)) % 7 for m in range(12)], marker=marker,
                    color=(30 + 60 * index, 120, 200 - 50 * index))
    figure.scatter(dates[:2], [3, 5], marker="▲", color=(214, 39, 40))
    output = figure.build()
    console = Console(width=100, color_system="truecolor")
    expected = Text.from_ansi(output, no_wrap=True)
    ours = ansi_text(output)
    assert ours.plain == expected.plain
    assert list(console.render(ours)) == list(console.render(expected))
    odd = "\x1b[1mbold\x1b[3mitalic both\x1b[0m plain"  # not plotext's shape: Rich decodes it
    assert list(console.render(ansi_text(odd))) == list(
        console.render(Text.from_ansi(odd, no_wrap=True)))


@pytest.mark.parametrize(("fx", "fy"), [(2, 4), (2, 2), (1, 2), (3, 1)])
def test_hd_group_is_plotexts(fx: int, fy: int) -> None:
    import random

    from tui.plotting import PLOTEXT_HD_GROUP, hd_group

    rng = random.Random(fx * 10 + fy)
    for n in (1, 2, 7, 300):
        x = [rng.randint(-5, 60) for _ in range(n)]
        y = [rng.randint(-3, 40) for _ in range(n)]
        factors = ([fx] * n, [fy] * n)
        assert hd_group(x, y, *factors) == tuple(PLOTEXT_HD_GROUP(x, y, *factors))
    odd = [1.5, 2, 3]  # not whole-number dots: plotext's own answers
    assert hd_group(odd, [1, 2, 3], [2] * 3, [4] * 3) == PLOTEXT_HD_GROUP(
        odd, [1, 2, 3], [2] * 3, [4] * 3)


def test_plot_built_with_the_fast_grouping_matches_plotexts() -> None:
    import plotext._utility as ut
    from plotext._figure import _figure_class

    from tui.plotting import PLOTEXT_HD_GROUP, hd_group

    def build() -> str:
        figure = _figure_class()
        figure.plotsize(90, 14)
        figure._set_size(90, 14)
        figure.date_form("Y-m-d")
        dates = [date(2020 + m // 12, m % 12 + 1, 1).isoformat() for m in range(40)]
        for index in range(4):
            figure.plot(dates, [((m * (index + 3)) % 11) * 1.5 for m in range(40)],
                        marker="braille", color=(30 + 60 * index, 120, 200 - 50 * index))
        return str(figure.build())

    assert ut.hd_group is hd_group  # installed by tui.plotting
    ours = build()
    ut.hd_group = PLOTEXT_HD_GROUP
    try:
        theirs = build()
    finally:
        ut.hd_group = hd_group
    assert ours == theirs
    assert any("\u2801" <= ch <= "\u28ff" for ch in ours)  # braille dots were drawn


def test_date_parsing_is_plotexts() -> None:
    from plotext._date import date_class

    from tui.plotting import PLOTEXT_STRING_TO_TIME, string_to_time

    dates = date_class()
    dates.date_form("Y-m-d")
    for text in ("2020-01-31", "1969-07-20", "2024-02-29", "1900-01-01"):
        assert string_to_time(dates, text) == PLOTEXT_STRING_TO_TIME(dates, text)
        assert string_to_time(dates, text, None, 0) == PLOTEXT_STRING_TO_TIME(dates, text, None, 0)
    assert string_to_time(dates, "31/01/2020", "d/m/Y") == PLOTEXT_STRING_TO_TIME(
        dates, "31/01/2020", "d/m/Y")
    for bad in ("2020-13-01", "not a date"):
        with pytest.raises(ValueError, match="Date Form should be"):
            string_to_time(dates, bad)


def test_series_rows_values_peaks_and_gaps() -> None:
    from tui.tabs.trends import series_rows

    days = [date(2021, 1, d) for d in (3, 1, 2, 4)]  # out of order on purpose
    frame = pl.DataFrame({
        "period": days * 3,
        "theme": ["a"] * 4 + ["b"] * 4 + ["c"] * 4,
        "articles": [1, 2, 3, 4, 0, 0, 0, 0, 1, 1, 1, 1],
        "total": [9] * 12,
        "tone": [2.0, float("nan"), 2.0, float("inf"),   # a: peak is the first of the ties
                 0.0, 0.0, None, 0.0,                    # b: nothing but zeros: no peak
                 -3.0, -1.0, -2.0, None],                # c: all negative: the largest
    }, schema={"period": pl.Date, "theme": pl.String, "articles": pl.Int64,
               "total": pl.Int64, "tone": pl.Float64})
    empty = pl.DataFrame(schema={"period": pl.Date, "theme": pl.String})
    a, b, c = series_rows(frame, empty, "tone")
    assert a.periods == tuple(sorted(days))
    assert a.values == (None, 2.0, 2.0, None) and a.peak == date(2021, 1, 2)
    assert a.last is None and a.before == 2.0 and a.articles == 10
    assert b.values == (0.0, None, 0.0, 0.0) and b.peak is None
    assert c.values == (-1.0, -2.0, -3.0, None) and c.peak == date(2021, 1, 1)
    (counted, *_) = series_rows(frame, empty, "articles")
    assert counted.values == (2.0, 3.0, 1.0, 4.0) and counted.peak == date(2021, 1, 4)


async def test_long_series_tables_fill_completely_and_refills_win() -> None:
    from tui.tabs.trends import FIRST_ROWS

    tab = TrendsTab(id="trends")
    app = TabApp(tab)
    many = {f"t{i:03d}": [i, i + 1] for i in range(FIRST_ROWS * 3 + 5)}
    async with app.run_test(size=(120, 36)) as pilot:
        tab.show(ViewSpec(), trends_frame(many), no_spikes())
        table = tab.query_one("#trends-table", DataTable)
        assert table.row_count == FIRST_ROWS  # a screenful at once, the rest after it shows
        tab.show(ViewSpec(), trends_frame({"a": [1, 2], "b": [2, 1]}), no_spikes())  # refilled
        await pilot.pause()
        await pilot.pause()
        assert [row[0] for row in table_rows(tab)] == ["a", "b"]  # nothing left over
        tab.show(ViewSpec(), trends_frame(many), no_spikes())
        for _ in range(5):
            await pilot.pause()
        rows = table_rows(tab)
        assert [r[0] for r in rows] == list(many)


def test_legend_names_keep_series_apart() -> None:
    from tui.tabs.trends import SeriesRow, legend_names

    def row(theme: str, region: str | None) -> SeriesRow:
        return SeriesRow(theme, region, 1, 0.1, (1.0,), (date(2020, 1, 1),), 1.0, None, None, 0)

    same_theme = [row("media-and-information", r) for r in ("Africa", "Europe")]
    assert legend_names(same_theme) == ["Africa", "Europe"]
    same_region = [row(t, "Africa") for t in ("censorship", "state-media")]
    assert legend_names(same_region) == ["censorship", "state-media"]
    mixed = [row("censorship", "Africa"), row("state-media", "Europe")]
    assert legend_names(mixed) == ["censorship · Africa", "state-media · Europe"]
    assert legend_names([row("censorship", None), row("state-media", None)]) == [
        "censorship", "state-media"]


def test_sparkline_points_computed_in_polars_match_squeeze() -> None:
    """The table's sparklines are squeezed in Polars; they must be squeeze()'s points."""
    import random

    from tui.sparkline import squeeze
    from tui.tabs.trends import _squeezed

    rng = random.Random(5)
    lists = [[None if rng.random() < 0.2 else rng.uniform(-5, 5)
              for _ in range(rng.randint(1, 300))] for _ in range(200)]
    lists.append([None] * 40)
    for width in (1, 3, 10, 16):
        got = _squeezed(pl.Series(lists, dtype=pl.List(pl.Float64)), [width])[width].to_list()
        for values, points in zip(lists, got, strict=True):
            assert points == pytest.approx(squeeze(values, width), rel=1e-12, abs=1e-12)
