"""The Textual dashboard: a header, a Trends tab (plot + per-theme table) and a status line."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static, TabbedContent, TabPane
from textual.worker import get_current_worker
from textual_plotext import PlotextPlot

from store.db import StoreError, reading
from tui.textsafe import literal

TOP_THEMES = 6


def monthly_top_themes(con: Any, n: int = TOP_THEMES) -> list[tuple[str, date, int]]:
    """Monthly distinct-article counts for the `n` themes with most articles."""
    rows = con.sql(
        """
        WITH top AS (
            SELECT theme, count(DISTINCT aid) AS n FROM article_themes
            GROUP BY theme ORDER BY n DESC, theme LIMIT $n
        )
        SELECT t.theme, date_trunc('month', a.day)::DATE AS period, count(DISTINCT a.aid)
        FROM article_themes t JOIN top USING (theme) JOIN articles a ON a.aid = t.aid
        GROUP BY t.theme, period ORDER BY t.theme, period
        """,
        params={"n": n},
    ).fetchall()
    return [(str(r[0]), r[1], int(r[2])) for r in rows]


def is_demo(con: Any) -> bool:
    """True when every import into the database was the generated demo corpus."""
    formats = {r[0] for r in con.sql("SELECT DISTINCT format FROM imports").fetchall()}
    return formats == {"sample"}


class TrendsLoaded(Message):
    """A worker finished reading the Trends data."""

    def __init__(self, rows: list[tuple[str, date, int]], summary: dict[str, Any]) -> None:
        super().__init__()
        self.rows = rows
        self.summary = summary


class NewData(Message):
    """The database gained an import since the screen was drawn."""


class LoadFailed(Message):
    """A worker could not read the database."""

    def __init__(self, error: str) -> None:
        super().__init__()
        self.error = error


class DashboardApp(App[None]):
    """Themes over time, read from a DuckDB store with short read-only connections."""

    TITLE = "softpower-tui"
    CSS = """
    #header { height: 1; background: $primary; color: $text; padding: 0 1; }
    #status { height: 1; color: $text-muted; padding: 0 1; }
    #tabs { height: 1fr; }
    #plot { height: 1fr; min-height: 8; }
    #series { height: auto; max-height: 10; }
    """
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("R", "reload", "Reload"),
        Binding("question_mark,f1", "help", "Help"),
    ]

    def __init__(
        self,
        db_path: Path,
        *,
        demo: bool = False,
        ascii_only: bool = False,
        clock: Callable[[], datetime] = datetime.now,
        cwd: Path | None = None,
    ) -> None:
        super().__init__()
        self.db_path = Path(db_path)
        self.demo = demo
        self.ascii_only = ascii_only or bool(os.environ.get("SOFTPOWER_ASCII"))
        self.clock = clock
        self.cwd = cwd or Path.cwd()
        self.shown_import: int | None = None

    def compose(self) -> ComposeResult:
        yield Static(literal(self.db_path.name), id="header")
        with TabbedContent(id="tabs"):
            with TabPane("Trends", id="trends"), Vertical():
                yield PlotextPlot(id="plot")
                yield DataTable(id="series", cursor_type="row")
        yield Static(Text("loading…"), id="status")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#series", DataTable)
        table.add_columns("theme", "articles", "last period", "change", "peak")
        self.load()
        self.set_interval(3.0, self.poll_new_data)

    def key_list(self) -> list[tuple[str, str]]:
        """Every key of the dashboard with its description, for the help screen."""
        keys = [(b.key.replace("question_mark", "?").replace("f1", "F1"), b.description)
                for b in self.BINDINGS if isinstance(b, Binding)]
        return keys + [("Ctrl+P", "Command palette")]

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """The command palette offers every action of the dashboard."""
        yield from super().get_system_commands(screen)
        yield SystemCommand("Reload", "Read the database again (R)", self.action_reload)
        yield SystemCommand("Help", "Show every key and action (? or F1)", self.action_help)

    def action_help(self) -> None:
        """Show every key and action."""
        from tui.screens.help import HelpScreen

        self.push_screen(HelpScreen(self.key_list()))

    def action_reload(self) -> None:
        """Read the database again."""
        self.load()

    @work(thread=True, exclusive=True, group="trends")
    def load(self) -> None:
        """Read monthly counts of the largest themes in a short read-only connection."""
        from store.catalog import summary

        worker = get_current_worker()
        try:
            with reading(self.db_path, on_wait=self._lock_wait) as con:
                info = summary(con)
                info["demo"] = is_demo(con)
                info["import_id"] = con.sql("SELECT max(import_id) FROM imports").fetchall()[0][0]
                rows = monthly_top_themes(con)
        except StoreError as exc:
            self.post_message(LoadFailed(str(exc)))
            return
        if not worker.is_cancelled:
            self.post_message(TrendsLoaded(rows, info))

    def _lock_wait(self, message: str, waited: float) -> None:
        """Tell the status line that a writer holds the database (called from a worker thread)."""
        self.call_from_thread(
            self.query_one("#status", Static).update, literal(f"{message} ({waited:.0f} s)")
        )

    @work(thread=True, exclusive=True, group="poll")
    def poll_new_data(self) -> None:
        """Compare the newest import id with the one on screen; report new data if they differ."""
        try:
            with reading(self.db_path, timeout=0.5) as con:
                newest = con.sql("SELECT max(import_id) FROM imports").fetchall()[0][0]
        except StoreError:
            return
        if self.shown_import is not None and newest != self.shown_import:
            self.post_message(NewData())

    def on_new_data(self, _message: NewData) -> None:
        self.query_one("#status", Static).update(literal("new data — press R to reload"))

    def on_load_failed(self, message: LoadFailed) -> None:
        self.query_one("#status", Static).update(literal(message.error, style="red"))

    def on_trends_loaded(self, message: TrendsLoaded) -> None:
        info = message.summary
        self.shown_import = info.get("import_id")
        span = f"{info['first_day']}..{info['last_day']}" if info["first_day"] else "no dates"
        head = f"{self.db_path.name} · {info['articles']:,} articles · {span}"
        if self.demo or info.get("demo"):
            head += " · demo data"
        self.query_one("#header", Static).update(literal(head))
        series: dict[str, list[tuple[date, int]]] = {}
        for theme, period, n in message.rows:
            series.setdefault(theme, []).append((period, n))
        plot = self.query_one("#plot", PlotextPlot)
        plt = plot.plt
        plt.clear_data()
        plt.date_form("Y-m-d")
        plt.title("Articles per month, six largest themes")
        marker = "dot" if self.ascii_only else "braille"
        for theme, points in series.items():
            plt.plot([p.isoformat() for p, _ in points], [n for _, n in points],
                     label=theme, marker=marker)
        plot.refresh()
        table = self.query_one("#series", DataTable)
        table.clear()
        ordered = sorted(series.items(), key=lambda kv: -sum(n for _, n in kv[1]))
        for theme, points in ordered:
            total = sum(n for _, n in points)
            last = points[-1][1]
            prev = points[-2][1] if len(points) > 1 else 0
            peak = max(points, key=lambda p: p[1])[0]
            table.add_row(literal(theme), f"{total:,}", f"{last:,}", f"{last - prev:+,}",
                          peak.strftime("%Y-%m"))
        self.query_one("#status", Static).update(Text(f"ready · {len(series)} series"))
