"""The Trends tab: a plot of up to eight series over time, and a table with one row per series.

Enter on a series row opens the articles behind it; `v` switches the table to the spikes found
(Enter on a spike opens the articles of that period).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, ClassVar

import polars as pl
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widget import Widget
from textual.widgets import Static

from store.aggregate import period_bounds
from store.viewspec import ViewSpec
from tui.datatable import DataTable
from tui.messages import DrillDown
from tui.plotting import SPIKE_ASCII, SPIKE_GLYPH, Series, TrendPlot, legend
from tui.sparkline import sparkline, squeeze
from tui.tabs import (
    METRIC_LABEL,
    TabBase,
    fmt_change,
    fmt_count,
    fmt_metric,
    fmt_share,
    metric_column,
    period_label,
)
from tui.textsafe import clean, literal

MAX_SERIES = 8
SPARK_WIDTH = 16
SPARK_WIDTHS = (SPARK_WIDTH, 10)  # wide terminals, narrow ones


@dataclass(frozen=True)
class SeriesRow:
    """The numbers of one series as the table shows them."""

    theme: str
    region: str | None
    articles: int
    share: float
    values: tuple[float | None, ...]
    periods: tuple[date, ...]
    last: float | None
    before: float | None
    peak: date | None
    spikes: int
    # The values squeezed to each sparkline width (as tui.sparkline.squeeze does), computed
    # with the rest in Polars: a day view has thousands of values per series.
    sketches: dict[int, tuple[float | None, ...]] = field(default_factory=dict, compare=False)

    def sketch(self, width: int) -> tuple[float | None, ...]:
        """The values squeezed to at most `width` points."""
        points = self.sketches.get(width)
        return points if points is not None else tuple(squeeze(list(self.values), width))

    @property
    def name(self) -> str:
        return f"{self.theme} · {self.region}" if self.region else self.theme


@dataclass(frozen=True)
class SpikeRow:
    """One spike: a period far above its series' trailing window."""

    theme: str
    region: str | None
    period: date
    articles: int
    baseline: float
    z: float


def series_rows(trends: pl.DataFrame, spikes: pl.DataFrame, column: str) -> list[SeriesRow]:
    """One row per series (theme, or theme and region), in the order of `trends`."""
    keys = ["theme", *(["region"] if "region" in trends.columns else [])]
    if trends.is_empty():
        return []
    spike_counts: dict[tuple[Any, ...], int] = {}
    if not spikes.is_empty():
        for row in spikes.group_by(keys).len().iter_rows(named=True):
            spike_counts[tuple(row[k] for k in keys)] = int(row["len"])
    value = pl.col(column).sort_by("period").cast(pl.Float64)
    value = pl.when(value.is_finite()).then(value)  # NaN and infinities: no value
    grouped = trends.group_by(keys, maintain_order=True).agg(
        pl.col("articles").sum().alias("_articles"),
        pl.col("total").sum().alias("_total"),
        pl.col("period").sort_by("period").alias("_periods"),
        value.alias("_values"),
    ).with_columns(
        # the first period of the largest value, none when every value is zero or missing
        pl.when(pl.col("_values").list.eval(pl.element().fill_null(0.0) != 0.0).list.any())
        .then(pl.col("_periods").list.get(pl.col("_values").list.arg_max(), null_on_oob=True))
        .alias("_peak"),
    )
    grouped = grouped.with_columns(
        points.alias(f"_sketch{width}")
        for width, points in _squeezed(grouped["_values"], SPARK_WIDTHS).items())
    # A trends table is zero-filled: series share their periods, converted to Python once.
    every_period = tuple(trends["period"].unique().sort().to_list())
    shared = bool((grouped["_periods"].list.len() == len(every_period)).all())
    if shared:
        grouped = grouped.drop("_periods")
    rows = []
    for row in grouped.iter_rows(named=True):
        values = tuple(row["_values"])
        total = row["_total"] or 0
        rows.append(SeriesRow(
            theme=row["theme"],
            region=row.get("region"),
            articles=int(row["_articles"] or 0),
            share=(row["_articles"] or 0) / total if total else 0.0,
            values=values,
            periods=every_period if shared else tuple(row["_periods"]),
            last=values[-1] if values else None,
            before=values[-2] if len(values) > 1 else None,
            peak=row["_peak"],
            spikes=spike_counts.get(tuple(row[k] for k in keys), 0),
            sketches={width: tuple(row[f"_sketch{width}"]) for width in SPARK_WIDTHS},
        ))
    return rows


def _squeezed(values: pl.Series, widths: Sequence[int]) -> dict[int, pl.Series]:
    """Each list of `values` squeezed to at most `width` points, for each of `widths`, as
    `tui.sparkline.squeeze` does: point i is the mean of the non-null values
    i*n//width … (i+1)*n//width - 1. The lists are exploded once for all widths."""
    j, n = pl.col("_j"), pl.col("_n")
    flat = (pl.DataFrame({"v": values}).with_row_index("_row").explode("v")
            .with_columns(pl.int_range(pl.len()).over("_row").alias("_j"),
                          pl.len().over("_row").alias("_n")))
    squeezed = {}
    for width in widths:
        # the point holding value j is the largest i with i*n//width <= j
        point = pl.when(n > width).then(((j + 1) * width + n - 1) // n - 1).otherwise(j)
        squeezed[width] = (
            flat.group_by("_row", point.alias("_point")).agg(pl.col("v").mean())
            .sort("_row", "_point")
            .group_by("_row", maintain_order=True).agg("v")
        )["v"]
    return squeezed


NAMED_HIDDEN = 5  # series not drawn that the note names; the rest are counted
FIRST_ROWS = 40  # series rows added at once; more than a screenful of the table at 120x36


def legend_names(rows: list[SeriesRow]) -> list[str]:
    """What the legend calls each drawn series: the region when they all share a theme, the
    theme when they all share a region, else both (a long theme name would otherwise leave
    eight identical, truncated entries)."""
    if len(rows) > 1 and all(row.region for row in rows):
        if len({row.theme for row in rows}) == 1:
            return [row.region or "" for row in rows]
        if len({row.region for row in rows}) == 1:
            return [row.theme for row in rows]
    return [row.name for row in rows]


class TrendsTab(TabBase):
    """Plot + per-series table of the view's trends (see tabs_api: `show(spec, trends, spikes)`)."""

    DEFAULT_CSS = """
    TrendsTab #trends-note { height: 1; color: $text-muted; }
    TrendsTab #trends-legend { height: auto; max-height: 2; }
    TrendsTab #trends-table { height: auto; max-height: 45%; min-height: 3; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("v", "toggle_spikes", "Spikes", tooltip="Table of series / table of spikes",
                id="trends-spikes"),
    ]

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id, classes=classes)
        self.spec = ViewSpec()
        self.rows: list[SeriesRow] = []
        self.spike_rows: list[SpikeRow] = []
        self.hidden: list[str] = []
        self.showing_spikes = False
        self.column = "articles"
        self._filled = 0  # counts table fills, so rows left over from an earlier one are dropped

    def compose_body(self) -> ComposeResult:
        yield Static(literal(""), id="trends-note", classes="tab-body")
        yield TrendPlot(id="trends-plot", classes="tab-body")
        yield Static(literal(""), id="trends-legend", classes="tab-body")
        table: DataTable[Any] = DataTable(id="trends-table", classes="tab-body",
                                          cursor_type="row", zebra_stripes=True)
        yield table

    def focus_target(self) -> Widget | None:
        return self.query_one("#trends-table", DataTable)

    # -- data -------------------------------------------------------------------------------

    def show(self, spec: ViewSpec, trends: pl.DataFrame, spikes: pl.DataFrame) -> None:
        """Draw the series of `trends` (and mark `spikes`) for the view `spec`."""
        if spec.table == "spikes" and self.spec.table != "spikes":
            self.showing_spikes = True  # a view opened on its spikes lists them first
        self.spec = spec
        self.column = metric_column(spec, trends.columns)
        self.rows = series_rows(trends, spikes, self.column)
        self.spike_rows = [
            SpikeRow(r["theme"], r.get("region"), r["period"], int(r["articles"]),
                     float(r["baseline"]), float(r["z"]))
            for r in spikes.iter_rows(named=True)
        ] if not spikes.is_empty() else []
        drawn, hidden = self.rows[:MAX_SERIES], self.rows[MAX_SERIES:]
        self.hidden = [row.name for row in hidden]
        if not self.rows:
            self.show_message("No articles match this view — widen the dates or clear filters (x).")
            return
        self.show_body()
        names = legend_names(drawn)
        dates: dict[int, tuple[str, ...]] = {}  # series share their periods: format them once
        plot_series = [self._plot_series(row, name, dates)
                       for row, name in zip(drawn, names, strict=True)]
        plot = self.query_one(TrendPlot)
        label = METRIC_LABEL[spec.metric] + (
            f", mean of {spec.smooth}" if self.column == "smoothed" else "")
        plot.set_series(plot_series, label)
        self._draw_legend()
        self.query_one("#trends-note", Static).update(self._note(), layout=False)
        self._fill_table()

    def _draw_legend(self) -> None:
        plot = self.query_one(TrendPlot)
        width = self.size.width
        self.query_one("#trends-legend", Static).update(
            legend(plot.series, plain=plot.plain, ascii_only=self.ascii_only,
                   width=width, label_width=24 if width >= 110 else 14))

    def on_resize(self) -> None:
        if self.rows:
            self._draw_legend()

    def _plot_series(self, row: SeriesRow, name: str,
                     dates: dict[int, tuple[str, ...]]) -> Series:
        spikes = [s for s in self.spike_rows if s.theme == row.theme and s.region == row.region]
        index = dict(zip(row.periods, row.values, strict=True)) if spikes else {}
        marks = tuple((s.period.isoformat(), index[s.period]) for s in spikes
                      if index.get(s.period) is not None)
        iso = dates.get(id(row.periods))
        if iso is None:
            iso = dates[id(row.periods)] = tuple(p.isoformat() for p in row.periods)
        return Series(name, iso, row.values, marks)  # type: ignore[arg-type]

    def _note(self) -> Text:
        spec = self.spec
        last = self.rows[0].periods[-1] if self.rows[0].periods else None
        text = (f"{METRIC_LABEL[spec.metric]} per {spec.every}"
                + (f", trailing mean of {spec.smooth}" if self.column == "smoothed" else "")
                + (f" · last = {period_label(last, spec.every)}" if last else ""))
        if self.hidden:
            named = ", ".join(self.hidden[:NAMED_HIDDEN])
            more = len(self.hidden) - NAMED_HIDDEN
            if more > 0:  # the table below lists them all; a note of 200 names costs a frame
                named += f" and {more:,} more"
            text = (f"showing {MAX_SERIES} of {len(self.rows)} series; not drawn: "
                    + named + " · " + text)
        drawn = self.rows[:MAX_SERIES]
        if len(drawn) > 1 and drawn[0].region and len({row.theme for row in drawn}) == 1:
            text = f"plot: {drawn[0].theme} by region · {text}"  # the legend names regions
        return literal(text)

    # -- table ------------------------------------------------------------------------------

    def _fill_table(self) -> None:
        table = self.query_one("#trends-table", DataTable)
        table.clear(columns=True)
        by_region = any(row.region for row in self.rows) or self.spec.by_region
        metric = self.spec.metric
        if self.showing_spikes:
            self._filled += 1
            table.add_columns("theme", *(["region"] if by_region else []), "period", "articles",
                              "baseline", "z")
            for index, spike in enumerate(self.spike_rows):
                table.add_row(
                    literal(spike.theme), *([literal(spike.region)] if by_region else []),
                    Text(period_label(spike.period, self.spec.every)),
                    Text(fmt_count(spike.articles), justify="right"),
                    Text(f"{spike.baseline:,.1f}", justify="right"),
                    Text(f"{spike.z:.1f}", justify="right"),
                    key=f"k{index}",
                )
            table.size_columns()
            return
        mark = SPIKE_ASCII if self.ascii_only else SPIKE_GLYPH
        table.add_columns("theme", *(["region"] if by_region else []), "trend", "articles",
                          "share", "last", "change", "peak", mark)
        self._filled += 1
        self._add_series_rows(self._filled, by_region, metric, 0)

    def _add_series_rows(self, fill: int, by_region: bool, metric: str, start: int) -> None:
        """Rows `start`… of the series table. A screenful comes first; the rest (a view of
        every theme in every region has 200+) is added after the screen shows those, unless
        the table has been filled again meanwhile."""
        if fill != self._filled:
            return
        table = self.query_one("#trends-table", DataTable)
        width = SPARK_WIDTH if self.size.width >= 100 or not self.size.width else 10
        stop = start + FIRST_ROWS if start == 0 else len(self.rows)
        for index, row in enumerate(self.rows[start:stop], start):
            table.add_row(
                literal(row.theme), *([literal(row.region or "")] if by_region else []),
                Text(sparkline(row.sketch(width), width, ascii_only=self.ascii_only)),
                Text(fmt_count(row.articles), justify="right"),
                Text(fmt_share(row.share), justify="right"),
                Text(fmt_metric(metric, row.last), justify="right"),
                Text(fmt_change(metric, row.last, row.before), justify="right"),
                Text(period_label(row.peak, self.spec.every) if row.peak else "–"),
                Text(str(row.spikes) if row.spikes else "", justify="right"),
                key=f"s{index}",
            )
        table.size_columns()
        if stop < len(self.rows):
            self.call_after_refresh(self._add_series_rows, fill, by_region, metric, stop)

    def action_toggle_spikes(self) -> None:
        """Switch the table between the series and the spikes."""
        self.showing_spikes = not self.showing_spikes
        if self.rows:
            self._fill_table()

    @on(DataTable.RowSelected, "#trends-table")
    def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        key = str(event.row_key.value)
        if key.startswith("s"):
            self.post_message(self.drill_series(self.rows[int(key[1:])]))
        elif key.startswith("k"):
            self.post_message(self.drill_spike(self.spike_rows[int(key[1:])]))

    # -- drill-down -------------------------------------------------------------------------

    def _narrowed(self, theme: str, region: str | None) -> ViewSpec:
        regions = (region,) if region else self.spec.regions
        return self.spec.replace(themes=(theme,), regions=regions, table="articles")

    def drill_series(self, row: SeriesRow) -> DrillDown:
        """The drill-down into the articles behind a series."""
        return DrillDown(self._narrowed(row.theme, row.region), clean(row.name))

    def drill_spike(self, spike: SpikeRow) -> DrillDown:
        """The drill-down into the articles of a spike's period."""
        first, last = period_bounds(spike.period, self.spec.every)
        since = max(first, self.spec.since) if self.spec.since else first
        until = min(last, self.spec.until) if self.spec.until else last
        name = f"{spike.theme} · {spike.region}" if spike.region else spike.theme
        spec = self._narrowed(spike.theme, spike.region).replace(since=since, until=until)
        return DrillDown(spec, clean(f"{name}, {period_label(spike.period, self.spec.every)}"))
