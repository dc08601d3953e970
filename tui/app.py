"""The Textual dashboard: header, filter panel, the four tabs, status line and footer.

The app owns the current `ViewSpec`. Every change (a key, a picker, a drill-down, an opened view)
makes a new one, pushed on an undo stack, and starts one worker thread that reads what the
current tab needs first, then the header's counts, then the other tabs — each through one short
read-only connection. A newer request cancels the older worker and interrupts its DuckDB query.
Tabs receive their data through `show(...)` on the main thread (see docs in tui/tabs).
"""

from __future__ import annotations

import gc
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from datetime import date, datetime
from functools import partial
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Footer, Static, TabbedContent, TabPane
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from store import aggregate
from store.db import StoreError, reading
from store.export import ExportError, ExportExistsError, ExportResult, default_filename, export_view
from store.paths import config_dir
from store.viewspec import EVERY, MAX_SMOOTH, ViewSpec, ViewSpecError
from store.workingset import WorkingSet
from tui.keymap import dashboard_bindings, key_display
from tui.messages import ApplyView, DrillDown
from tui.optionlist import OptionList
from tui.textsafe import clean, literal
from tui.viewcache import ViewCache, filter_key

TABS = ("trends", "regions", "articles", "cooccurrence")
TAB_TITLES = {"trends": "Trends", "regions": "Regions", "articles": "Articles",
              "cooccurrence": "Co-occurrence"}
FACET_TITLES = {"themes": "Themes", "regions": "Regions", "countries": "Countries",
                "sources": "Sources"}
SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
SPINNER_ASCII = "|/-\\"
HISTORY_LIMIT = 500
WIDE = 120  # terminal width from which the filter panel opens by default
READER_MEMORY = "512MB"  # what one of the dashboard's reads may hold; DuckDB spills the rest
# A full garbage collection of a session's objects takes 50-100 ms: Python starts one whenever
# enough objects have survived, which is often in the middle of drawing a key press's numbers.
# The dashboard makes automatic full collections rare and runs one itself once the screen has
# been still for IDLE_COLLECT seconds (the young generations are still collected as usual).
RARE_FULL_COLLECTIONS = 1_000
IDLE_COLLECT = 2.0
INTERRUPT_PERSISTENCE = 5.0  # seconds an older load's queries keep being interrupted
# Seconds the other tabs wait after the current one is drawn before they are read: a key pressed
# meanwhile cancels them, so quick successive keys only ever read what is on screen.
PRELOAD_DELAY = 0.3


def tab_of(table: str) -> str:
    """The tab showing a ViewSpec table ('spikes' is shown on Trends)."""
    return "trends" if table == "spikes" else table


def data_key(spec: ViewSpec) -> ViewSpec:
    """The part of a view that decides the numbers (the table shown does not)."""
    return spec.replace(table="trends")


def is_demo(con: Any) -> bool:
    """True when every import into the database was the generated demo corpus."""
    formats = {r[0] for r in con.sql("SELECT DISTINCT format FROM imports").fetchall()}
    return formats == {"sample"}


def tab_classes() -> dict[str, type[Widget]]:
    """The widget class of each tab."""
    from tui.tabs.articles import ArticlesTab
    from tui.tabs.cooccurrence import CooccurrenceTab
    from tui.tabs.regions import RegionsTab
    from tui.tabs.trends import TrendsTab

    return {"trends": TrendsTab, "regions": RegionsTab, "articles": ArticlesTab,
            "cooccurrence": CooccurrenceTab}


def local_bindings() -> list[tuple[str, Binding]]:
    """(where, binding) of the keys the tabs and the article detail screen add."""
    from tui.screens.detail import ArticleDetailScreen

    owners: list[tuple[str, type[Any]]] = [
        (TAB_TITLES[name], cls) for name, cls in tab_classes().items()]
    owners.append(("Article detail", ArticleDetailScreen))
    found = []
    for where, owner in owners:
        for binding in owner.BINDINGS:
            if isinstance(binding, Binding):
                found.append((where, binding))
    return found


def binding_ids() -> tuple[str, ...]:
    """Every id a keymap file may rebind: the dashboard's, the tabs' and the detail screen's."""
    from tui.keymap import BINDING_IDS

    return BINDING_IDS + tuple(b.id for _, b in local_bindings() if b.id)


class TabLoaded(Message):
    """A worker read one tab's data for `spec`."""

    def __init__(self, spec: ViewSpec, tab: str, payload: tuple[Any, ...]) -> None:
        super().__init__()
        self.spec = spec
        self.tab = tab
        self.payload = payload


class OverviewLoaded(Message):
    """A worker read the header's figures for `spec`."""

    def __init__(self, spec: ViewSpec, overview: dict[str, Any]) -> None:
        super().__init__()
        self.spec = spec
        self.overview = overview


class LoadFinished(Message):
    """A worker finished every tab of `spec`."""

    def __init__(self, spec: ViewSpec) -> None:
        super().__init__()
        self.spec = spec


class NewData(Message):
    """The database gained an import since the screen was drawn."""


class LoadFailed(Message):
    """A worker could not read the database."""

    def __init__(self, error: str) -> None:
        super().__init__()
        self.error = error


class StatusNote(Message):
    """Text for the status line from a worker thread."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class ExportDone(Message):
    """An export finished (result) or failed (error); `exists` asks for confirmation."""

    def __init__(self, result: ExportResult | None, error: str = "", exists: bool = False,
                 request: Any = None) -> None:
        super().__init__()
        self.result = result
        self.error = error
        self.exists = exists
        self.request = request


class FilterPanel(Vertical):
    """The filters and grouping of the view, one row each; Enter on a row edits it."""

    DEFAULT_CSS = """
    FilterPanel { dock: left; width: 27; border-right: vkey $primary; }
    FilterPanel OptionList { height: 1fr; border: none; }
    """

    def compose(self) -> ComposeResult:
        yield OptionList(id="filter-rows")


def _panel_rows(spec: ViewSpec, keys: Mapping[str, str]) -> list[tuple[str, str, str]]:
    """(action, title with key, value) rows of the filter panel."""
    def listed(values: Sequence[str]) -> str:
        return "\n".join(values) if values else "all"

    since = spec.since.isoformat() if spec.since else "…"
    until = spec.until.isoformat() if spec.until else "…"
    return [
        ("pick_themes", f"Themes [{keys['themes']}]", listed(spec.themes)),
        ("pick_regions", f"Regions [{keys['regions']}]", listed(spec.regions)),
        ("pick_countries", f"Countries [{keys['countries']}]", listed(spec.countries)),
        ("pick_sources", f"Sources [{keys['sources']}]", listed(spec.sources)),
        ("pick_dates", f"Dates [{keys['dates']}]",
         "all" if not (spec.since or spec.until) else f"{since} to {until}"),
        ("search", f"Search [{keys['search']}]", spec.search or "none"),
        ("cycle_every", f"Every [{keys['granularity']}]", spec.every),
        ("cycle_metric", f"Metric [{keys['metric']}]", spec.metric),
        ("smooth(1)", f"Smoothing [{keys['smooth-less']}/{keys['smooth-more']}]",
         "none" if spec.smooth == 1 else f"mean of {spec.smooth} periods"),
        ("toggle_by_region", f"By region [{keys['split-regions']}]",
         "yes" if spec.by_region else "no"),
        ("clear_filters", f"Clear filters [{keys['clear']}]", ""),
    ]


class DashboardApp(App[None]):
    """Themes over time by region, read from a DuckDB store with short read-only connections."""

    TITLE = "softpower-tui"
    CSS = """
    #header { height: 1; background: $primary; color: $text; padding: 0 1; }
    #summary { height: 1; background: $panel; padding: 0 1; }
    #status { height: 1; color: $text-muted; padding: 0 1; }
    #body { height: 1fr; }
    #tabs { height: 1fr; width: 1fr; }
    TabPane { padding: 0; }
    """
    BINDINGS = dashboard_bindings()
    DASHBOARD_ACTIONS = frozenset(b.action.split("(")[0] for b in BINDINGS) - {"quit", "help"}

    def __init__(
        self,
        db_path: Path,
        *,
        demo: bool = False,
        ascii_only: bool = False,
        clock: Callable[[], datetime] = datetime.now,
        cwd: Path | None = None,
        view: ViewSpec | None = None,
        keymap: Mapping[str, str] | None = None,
        config_path: Path | None = None,
        poll_seconds: float = 3.0,
        preload_delay: float = PRELOAD_DELAY,
    ) -> None:
        super().__init__()
        self.db_path = Path(db_path)
        self.demo = demo
        self.ascii_only = ascii_only or bool(os.environ.get("SOFTPOWER_ASCII"))
        self.clock = clock
        self.cwd = cwd or Path.cwd()
        self.config_path = config_path or config_dir()
        self.poll_seconds = poll_seconds
        self.preload_delay = preload_delay
        self.history: list[ViewSpec] = [view or ViewSpec()]
        self.position = 0
        self.info: dict[str, Any] = {}
        self.shown: dict[str, ViewSpec] = {}
        self.notes: dict[str, str] = {}
        self.data: dict[str, tuple[Any, ...]] = {}
        self._overviews: dict[tuple[Any, ...], dict[str, Any]] = {}
        self.cache = ViewCache()
        self.working_set: WorkingSet | None = None
        self._working_set_import: int | None = None  # the import a copy is being made of
        self.view_note = ""
        self.shown_import: int | None = None
        self.loading: str | None = None
        self.status_text = "loading…"
        self.panel_toggled = False
        self._panel_shown: list[tuple[str, str, str]] = []
        self._undrawn: set[str] = set()  # tabs whose numbers are read but not yet drawn
        self._gc_threshold = gc.get_threshold()  # the process's, set back at unmount
        self._gc_timer: Timer | None = None
        self._spin = 0
        self._live: dict[int, duckdb.DuckDBPyConnection] = {}
        self._live_lock = threading.Lock()
        if keymap:
            self.set_keymap(dict(keymap))

    # -- the view and its history -------------------------------------------------------------

    @property
    def spec(self) -> ViewSpec:
        """The current view."""
        return self.history[self.position]

    @property
    def views_dir(self) -> Path:
        return self.config_path / "views"

    def push_spec(self, spec: ViewSpec, note: str = "") -> None:
        """Make `spec` the current view (undoable) and load what it shows."""
        if spec == self.spec:
            if note:
                self.set_status(note)
            return
        del self.history[self.position + 1:]
        self.history.append(spec)
        if len(self.history) > HISTORY_LIMIT:
            del self.history[0]
        self.position = len(self.history) - 1
        self._view_changed(note)

    def _replace_spec(self, spec: ViewSpec) -> None:
        """Change the current view in place (switching tabs is not a change to undo)."""
        self.history[self.position] = spec

    def _view_changed(self, note: str = "") -> None:
        tab = tab_of(self.spec.table)
        tabs = self.query_one("#tabs", TabbedContent)
        if tabs.active != f"pane-{tab}":
            tabs.active = f"pane-{tab}"
        self._show_summary()
        self.view_note = note
        if note:
            self.status_text = note
        self.load()

    # -- layout -------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        widgets = tab_classes()
        yield Static(literal(self.db_path.name), id="header")
        yield Static(literal(""), id="summary")
        with Horizontal(id="body"):
            yield FilterPanel(id="filter-panel")
            with TabbedContent(id="tabs", initial=f"pane-{tab_of(self.spec.table)}"):
                for name in TABS:
                    with TabPane(f"{TABS.index(name) + 1} {TAB_TITLES[name]}", id=f"pane-{name}"):
                        yield widgets[name](id=name)
        yield Static(literal(self.status_text), id="status")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#filter-panel").display = self.size.width >= WIDE
        self._show_summary()
        self.call_after_refresh(self.focus_tab)
        self.set_interval(0.1, self._tick)
        gc.set_threshold(*self._gc_threshold[:2], RARE_FULL_COLLECTIONS)
        self.load()
        if self.poll_seconds > 0:
            self.set_interval(self.poll_seconds, self.poll_new_data)

    def on_unmount(self) -> None:
        gc.set_threshold(*self._gc_threshold)

    def _collect_when_idle(self) -> None:
        """Collect garbage in full once nothing has changed for a while (see IDLE_COLLECT)."""
        if self._gc_timer is not None:
            self._gc_timer.stop()
        self._gc_timer = self.set_timer(IDLE_COLLECT, self._collect_if_idle)

    def _collect_if_idle(self) -> None:
        self._gc_timer = None
        if self.loading is None:
            gc.collect()

    def focus_tab(self) -> None:
        """Focus the current tab's main widget (its table)."""
        self.tab_widget(tab_of(self.spec.table)).focus()

    def on_resize(self) -> None:
        if not self.panel_toggled:
            self.query_one("#filter-panel").display = self.size.width >= WIDE

    def tab_widget(self, tab: str) -> Any:
        """The widget of a tab (trends, regions, articles, cooccurrence)."""
        return self.query_one(f"#{tab}")

    def key_for(self, binding_id: str) -> str:
        """How the (possibly rebound) key of a binding is shown."""
        for binding in self.BINDINGS:
            if isinstance(binding, Binding) and binding.id == binding_id:
                keys = self._keymap.get(binding_id, binding.key)
                return key_display(keys.split(",")[0])
        return "?"

    def _show_summary(self, panel: bool = True) -> None:
        spec = self.spec
        view = [spec.every, spec.metric]
        if spec.smooth > 1:
            view.append(f"smoothed over {spec.smooth}")
        if spec.by_region:
            view.append("by region")
        line = f"{spec.summary()} · {' · '.join(view)}"
        panel_key = self.key_for("filters")
        text = Text()
        if self.info and data_key(self.info.get("spec", spec)) == data_key(spec):
            text.append(f"{self.info['matching']:,} match", "bold")
            text.append(" · ")
        text.append(f"Filters ({panel_key}): ", "bold")
        text.append(clean(line))
        text.no_wrap = True
        text.overflow = "ellipsis"
        self.query_one("#summary", Static).update(text, layout=False)  # one line, fixed height
        if not panel:
            return
        keys = {b.id: self.key_for(b.id) for b in self.BINDINGS
                if isinstance(b, Binding) and b.id}
        wanted = _panel_rows(spec, keys)
        shown, self._panel_shown = self._panel_shown, wanted
        rows = self.query_one("#filter-rows", OptionList)

        def prompt(title: str, value: str) -> Text:
            text = Text.assemble((clean(title), "bold"))
            for line in value.splitlines():
                text.append("\n\u00a0\u00a0" + clean(line))
            return text

        def shape(listed: list[tuple[str, str, str]]) -> list[tuple[str, int]]:
            return [(action, len(value.splitlines())) for action, _, value in listed]

        if shape(shown) == shape(wanted):  # same rows, same heights: no layout needed
            for index, (old, new) in enumerate(zip(shown, wanted, strict=True)):
                if old != new:
                    rows.replace_option_prompt_at_index(index, prompt(new[1], new[2]))
            return
        highlighted = rows.highlighted
        rows.clear_options()
        for action, title, value in wanted:
            rows.add_option(Option(prompt(title, value), id=action))
        rows.highlighted = min(highlighted or 0, rows.option_count - 1)

    def _show_header(self) -> None:
        info = self.info
        if not info:
            return
        span = (f"{info['first_day']}..{info['last_day']}" if info.get("first_day")
                else "no dates")
        parts = [self.db_path.name]
        if self.demo or info.get("demo"):
            parts.append("demo data")
        parts += [span, f"{info['total_articles']:,} articles"]
        self.query_one("#header", Static).update(literal(" · ".join(parts)), layout=False)
        self._show_summary(panel=False)  # the panel shows no counts

    def set_status(self, text: str) -> None:
        """Put a message on the status line (after the spinner while work runs)."""
        self.status_text = text
        self._draw_status()

    def _draw_status(self) -> None:
        prefix = ""
        if self.loading:
            frames = SPINNER_ASCII if self.ascii_only else SPINNER
            prefix = frames[self._spin % len(frames)] + " "
        self.query_one("#status", Static).update(literal(prefix + self.status_text), layout=False)

    def _tick(self) -> None:
        if self.loading:
            self._spin += 1
            self._draw_status()

    # -- loading ------------------------------------------------------------------------------

    @contextmanager
    def _view_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection registered so that a newer request can interrupt its query."""
        with reading(self.db_path, on_wait=self._lock_wait,
                     memory_limit=READER_MEMORY) as con:
            key = id(con)
            with self._live_lock:
                self._live[key] = con
            try:
                yield con
            finally:
                with self._live_lock:
                    self._live.pop(key, None)

    def _interrupt_loads(self) -> None:
        """Stop the queries of older loads. DuckDB forgets an interrupt that comes just before
        a query starts, so the connections still running are interrupted again every few
        milliseconds until their loads have let go of them (for a few seconds at most)."""
        with self._live_lock:
            older = list(self._live.items())
        if not older:
            return

        def still_live() -> list[duckdb.DuckDBPyConnection]:
            with self._live_lock:
                return [con for key, con in older if self._live.get(key) is con]

        def interrupt_until_released() -> None:
            deadline = time.monotonic() + INTERRUPT_PERSISTENCE
            while (cons := still_live()) and time.monotonic() < deadline:
                for con in cons:
                    try:
                        con.interrupt()
                    except duckdb.Error:
                        pass
                time.sleep(0.01)

        threading.Thread(target=interrupt_until_released, name="interrupt-loads",
                         daemon=True).start()

    def read(self, query: Callable[[duckdb.DuckDBPyConnection], Any]) -> Any:
        """Run `query` on a short read-only connection of its own (any thread)."""
        with reading(self.db_path, on_wait=self._lock_wait,
                     memory_limit=READER_MEMORY) as con:
            return query(con)

    def load(self) -> None:
        """Read the current view: the current tab first, then the header, then the other tabs."""
        self._interrupt_loads()
        current = tab_of(self.spec.table)
        order = [current] + [t for t in TABS if t != current]
        self.loading = current
        self._draw_status()
        cached = self.cache.get(current, self.spec)
        if cached is not None:  # drawn now, in the frame that shows the key's other effects
            self.on_tab_loaded(TabLoaded(self.spec, current, cached))
        self._load_view(self.spec, order, read_first=cached is None)

    @work(thread=True, exclusive=True, group="view", exit_on_error=False)
    def _load_view(self, spec: ViewSpec, order: list[str], read_first: bool) -> None:
        """Read `order[0]` (unless `load` drew it from the cache), the header's counts, then
        the other tabs of `order`."""
        worker = get_current_worker()
        try:
            with ExitStack() as stack:
                con = self._lazy_connection(stack)
                if read_first:
                    payload = self._read_tab(con, spec, order[0])
                    if worker.is_cancelled:
                        return
                    self.post_message(TabLoaded(spec, order[0], payload))
                overview = self._overviews.get(filter_key(spec))
                if overview is None:  # grouping and metric keys keep the same counts
                    overview = aggregate.overview(con(), spec)
                    overview["demo"] = is_demo(con())
                    overview["import_id"] = con().sql(
                        "SELECT max(import_id) FROM imports").fetchall()[0][0]
                if worker.is_cancelled:
                    return
                self.post_message(OverviewLoaded(spec, overview))
            if not self._pause(worker, self.preload_delay):
                return
            with ExitStack() as stack:
                con = self._lazy_connection(stack)
                for tab in order[1:]:
                    payload = self._tab_payload(con, spec, tab)
                    if worker.is_cancelled:
                        return
                    self.post_message(TabLoaded(spec, tab, payload))
        except duckdb.InterruptException:
            return
        except (StoreError, duckdb.Error, OSError) as exc:
            if not worker.is_cancelled:
                self.post_message(LoadFailed(str(exc)))
            return
        self.post_message(LoadFinished(spec))

    @staticmethod
    def _pause(worker: Any, seconds: float) -> bool:
        """Sleep in a worker unless it is cancelled meanwhile; False when it was."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if worker.is_cancelled:
                return False
            time.sleep(min(0.02, max(0.0, deadline - time.monotonic())))
        return not worker.is_cancelled

    def _lazy_connection(self, stack: ExitStack) -> Callable[[], duckdb.DuckDBPyConnection]:
        """A view connection opened on first use (none when everything is cached)."""
        opened: list[duckdb.DuckDBPyConnection] = []

        def get() -> duckdb.DuckDBPyConnection:
            if not opened:
                opened.append(stack.enter_context(self._view_connection()))
            return opened[0]

        return get

    def _tab_payload(self, con: Callable[[], duckdb.DuckDBPyConnection], spec: ViewSpec,
                     tab: str) -> tuple[Any, ...]:
        """What `tab` shows for `spec`: from the cache, else from the working set when it
        answers the view, else from the file; kept in the cache."""
        payload = self.cache.get(tab, spec)
        return payload if payload is not None else self._read_tab(con, spec, tab)

    def _read_tab(self, con: Callable[[], duckdb.DuckDBPyConnection], spec: ViewSpec,
                  tab: str) -> tuple[Any, ...]:
        """What `tab` shows for `spec`, from the working set when it answers the view, else
        from the file; kept in the cache."""
        payload = self._from_working_set(spec, tab)
        if payload is None:
            payload = self._query_tab(con(), spec, tab)
        self.cache.put(tab, spec, payload)
        return payload

    def _from_working_set(self, spec: ViewSpec, tab: str) -> tuple[Any, ...] | None:
        working_set, view = self.working_set, spec.replace(table=tab)
        if working_set is None or not working_set.covers(view):
            return None
        cur = working_set.cursor(view)
        key = id(cur)
        with self._live_lock:
            self._live[key] = cur
        try:
            return self._query_tab(cur, spec, tab)
        except duckdb.InterruptException:
            raise
        except duckdb.Error:
            return None  # a view the copy cannot answer after all: the file can
        finally:
            with self._live_lock:
                self._live.pop(key, None)
            cur.close()

    def _want_working_set(self, import_id: int | None) -> None:
        """Copy the pre-aggregates of this import into memory (in the background), once."""
        if import_id is None or import_id == self._working_set_import:
            return
        self._working_set_import = import_id
        self._build_working_set(import_id)

    @work(thread=True, exclusive=True, group="working-set", exit_on_error=False)
    def _build_working_set(self, import_id: int) -> None:
        try:
            with reading(self.db_path, on_wait=self._lock_wait,
                         memory_limit=READER_MEMORY) as con:
                newest = con.sql("SELECT max(import_id) FROM imports").fetchall()[0][0]
                working_set = WorkingSet.load(con) if newest == import_id else None
        except (StoreError, duckdb.Error, OSError):
            return  # the views keep reading the file
        if working_set is not None and self._working_set_import == import_id:
            old, self.working_set = self.working_set, working_set
            if old is not None:
                old.close()
        elif working_set is not None:
            working_set.close()

    def _drop_working_set(self) -> None:
        old, self.working_set = self.working_set, None
        self._working_set_import = None
        if old is not None:
            old.close()

    def _query_tab(self, con: duckdb.DuckDBPyConnection, spec: ViewSpec,
                   tab: str) -> tuple[Any, ...]:
        if tab == "trends":
            trends_spec = spec.replace(table="trends")
            frame = aggregate.trends(con, trends_spec)
            return frame, aggregate.spikes(con, trends_spec, trends_frame=frame)
        if tab == "regions":
            return (aggregate.regions(con, spec.replace(table="regions")),)
        if tab == "articles":
            return (aggregate.article_keys(con, spec),)
        return (aggregate.cooccurrence(con, spec.replace(table="cooccurrence")),)

    def fetch_articles(self, aids: Sequence[int]) -> pl.DataFrame:
        """The Articles tab's rows for these keys, read on a short connection."""
        return self.read(lambda con: aggregate.articles_page(con, aids))

    def article_detail(self, article_id: str) -> dict[str, Any] | None:
        """Every field of one article, read on a short connection."""
        return self.read(lambda con: aggregate.article_detail(con, article_id))

    def on_tab_loaded(self, message: TabLoaded) -> None:
        if data_key(message.spec) != data_key(self.spec):
            return
        tab = message.tab
        self.shown[tab] = data_key(message.spec)
        self.data[tab] = message.payload
        self.notes[tab] = f"{TAB_TITLES[tab]}: {self._tab_note(tab, message.payload)}"
        if tab != tab_of(self.spec.table):
            self._undrawn.add(tab)  # drawn when opened: hidden tables cost a key press nothing
            return
        self._draw_tab(tab)
        note = f"{self.view_note} · " if self.view_note else ""
        self.set_status(note + self.notes[tab])

    def _draw_tab(self, tab: str) -> None:
        """Put the numbers read for `tab` (those of the current view) into its widget."""
        self._undrawn.discard(tab)
        widget = self.tab_widget(tab)
        spec = self.spec.replace(table="spikes" if self.spec.table == "spikes" and tab == "trends"
                                 else tab)
        payload = self.data[tab]
        if tab == "articles":
            (keys,) = payload
            widget.show(spec, keys, self.fetch_articles, self.article_detail)
        else:
            widget.show(spec, *payload)

    def _tab_note(self, tab: str, payload: tuple[Any, ...]) -> str:
        first = payload[0]
        if tab == "trends":
            n = first.select(pl.struct(
                "theme", *(["region"] if "region" in first.columns else [])).n_unique()).item()
            return f"{n:,} series, {first['period'].n_unique() if first.height else 0:,} periods"
        if tab == "articles":
            return f"{len(first):,} articles"
        return f"{first.height:,} rows"

    def on_overview_loaded(self, message: OverviewLoaded) -> None:
        if data_key(message.spec) != data_key(self.spec):
            return
        self.info = {**message.overview, "spec": message.spec}
        self._overviews[filter_key(message.spec)] = message.overview
        self.shown_import = message.overview.get("import_id")
        self._show_header()

    def on_load_finished(self, message: LoadFinished) -> None:
        if data_key(message.spec) == data_key(self.spec):
            self.loading = None
            self._draw_status()
            self._collect_when_idle()
            self._want_working_set(self.shown_import)

    def on_load_failed(self, message: LoadFailed) -> None:
        self.loading = None
        self.status_text = message.error
        self.query_one("#status", Static).update(literal(message.error, style="bold"), layout=False)
        for tab in TABS:
            self.tab_widget(tab).show_error(message.error)

    def on_status_note(self, message: StatusNote) -> None:
        self.set_status(message.text)

    def _lock_wait(self, message: str, waited: float) -> None:
        """Tell the status line that a writer holds the database (called from a worker thread)."""
        self.post_message(StatusNote(f"{message} ({waited:.0f} s)"))

    @work(thread=True, exclusive=True, group="poll", exit_on_error=False)
    def poll_new_data(self) -> None:
        """Compare the newest import id with the one on screen; report new data if they differ."""
        try:
            with reading(self.db_path, timeout=0.5) as con:
                newest = con.sql("SELECT max(import_id) FROM imports").fetchall()[0][0]
        except (StoreError, duckdb.Error):
            return
        if self.shown_import is not None and newest != self.shown_import:
            self.post_message(NewData())

    def on_new_data(self, _message: NewData) -> None:
        # What is on screen stays until reloaded; views asked meanwhile read the file, as the
        # header's counts do, not the copy or the cache of the earlier state.
        self.cache.clear()
        self._drop_working_set()
        self.set_status(f"new data — press {self.key_for('reload')} to reload")

    # -- tabs ---------------------------------------------------------------------------------

    def action_show_tab(self, tab: str) -> None:
        """Switch to a tab."""
        self.query_one("#tabs", TabbedContent).active = f"pane-{tab}"

    @on(TabbedContent.TabActivated, "#tabs")
    def _tab_activated(self, event: TabbedContent.TabActivated) -> None:
        tab = str(event.pane.id).removeprefix("pane-")
        if tab_of(self.spec.table) != tab:
            self._replace_spec(self.spec.replace(table=tab))
        if tab in self._undrawn and self.shown.get(tab) == data_key(self.spec):
            self._draw_tab(tab)
        if self.shown.get(tab) != data_key(self.spec):
            if self.loading is None:
                self.load()
        elif tab in self.notes:
            self.set_status(self.notes[tab])

    # -- filters and grouping -----------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Dashboard keys act on the dashboard only, not under a dialog."""
        if action in self.DASHBOARD_ACTIONS and len(self.screen_stack) > 1:
            return False
        return True

    def action_toggle_filters(self) -> None:
        """Show or hide the filter panel."""
        panel = self.query_one("#filter-panel")
        panel.display = not panel.display
        self.panel_toggled = True
        if panel.display:
            self.query_one("#filter-rows", OptionList).focus()
        else:
            self.focus_tab()

    @on(OptionList.OptionSelected, "#filter-rows")
    async def _panel_row(self, event: OptionList.OptionSelected) -> None:
        await self.run_action(str(event.option.id))

    def _facet_loader(self, facet: str) -> Callable[[], pl.DataFrame]:
        spec = self.spec
        return lambda: self.read(lambda con: aggregate.facet_counts(con, spec, facet))

    def _pick(self, facet: str) -> None:
        from tui.screens.filters import FacetScreen, ThemeScreen

        selected = getattr(self.spec, facet)
        screen_class = ThemeScreen if facet == "themes" else FacetScreen
        title = f"{FACET_TITLES[facet]} — articles under the other filters"
        screen = screen_class(title, selected, self._facet_loader(facet))

        def chosen(values: tuple[str, ...] | None) -> None:
            if values is not None:
                self._apply(**{facet: values})

        self.push_screen(screen, chosen)

    def action_pick_themes(self) -> None:
        """Filter by themes."""
        self._pick("themes")

    def action_pick_regions(self) -> None:
        """Filter by regions."""
        self._pick("regions")

    def action_pick_countries(self) -> None:
        """Filter by countries."""
        self._pick("countries")

    def action_pick_sources(self) -> None:
        """Filter by sources."""
        self._pick("sources")

    def _apply(self, **changes: Any) -> None:
        try:
            spec = self.spec.replace(**changes)
        except ViewSpecError as exc:
            self.set_status(str(exc))
            return
        self.push_spec(spec)

    def action_pick_dates(self) -> None:
        """Choose the date range."""
        from tui.screens.filters import DateRangeScreen

        last = self.info.get("last_day")
        if isinstance(last, datetime):
            last = last.date()

        def chosen(bounds: tuple[date | None, date | None] | None) -> None:
            if bounds is not None:
                self._apply(since=bounds[0], until=bounds[1])

        self.push_screen(DateRangeScreen(self.spec.since, self.spec.until, last), chosen)

    def action_search(self) -> None:
        """Search titles and summaries."""
        from tui.screens.filters import SearchScreen

        def chosen(text: str | None) -> None:
            if text is not None:
                self._apply(search=text or None)

        self.push_screen(SearchScreen(self.spec.search), chosen)

    def action_cycle_every(self) -> None:
        """Next granularity: day → week → month → quarter → year → day."""
        self._apply(every=EVERY[(EVERY.index(self.spec.every) + 1) % len(EVERY)])

    def metrics(self) -> tuple[str, ...]:
        """The metrics this database offers (tone only when some article has a tone)."""
        return ("count", "share", "tone") if self.info.get("has_tone") else ("count", "share")

    def action_cycle_metric(self) -> None:
        """Next metric: count → share (→ tone where the data has tone)."""
        metrics = self.metrics()
        current = self.spec.metric
        index = metrics.index(current) if current in metrics else -1
        self._apply(metric=metrics[(index + 1) % len(metrics)])

    def action_smooth(self, step: int) -> None:
        """Smooth over one period more (step 1) or less (step -1)."""
        smooth = max(1, min(MAX_SMOOTH, self.spec.smooth + step))
        if smooth == self.spec.smooth:
            self.set_status("no smoothing" if smooth == 1 else f"smoothing is at most {smooth}")
            return
        self._apply(smooth=smooth)

    def action_toggle_by_region(self) -> None:
        """Split every series by region, or join them again."""
        self._apply(by_region=not self.spec.by_region)

    def action_clear_filters(self) -> None:
        """Clear every filter (grouping and metric stay)."""
        self.push_spec(self.spec.cleared(), "filters cleared")

    def action_undo(self) -> None:
        """Go back to the view before the last change."""
        if self.position == 0:
            self.set_status("nothing to undo")
            return
        self.position -= 1
        self._view_changed("undone")

    def action_redo(self) -> None:
        """Redo the change undone last."""
        if self.position >= len(self.history) - 1:
            self.set_status("nothing to redo")
            return
        self.position += 1
        self._view_changed("redone")

    def action_reload(self) -> None:
        """Read the database again."""
        self.shown.clear()
        self._overviews.clear()
        self.cache.clear()
        self._drop_working_set()
        self.view_note = "reloaded"
        self.status_text = "reloading"
        self.load()

    def on_drill_down(self, message: DrillDown) -> None:
        self.push_spec(message.spec.replace(table="articles"),
                       f"{message.title} — {self.key_for('undo')} returns")

    def on_apply_view(self, message: ApplyView) -> None:
        self.push_spec(message.spec, message.reason)

    # -- export -------------------------------------------------------------------------------

    def action_export(self) -> None:
        """Export the current tab's table in full (the same file as `softpower-tui export`)."""
        from tui.screens.export import ExportRequest, ExportScreen

        spec = self.spec
        name = default_filename(spec.table, self.clock())
        hint = spec.summary()

        def chosen(request: ExportRequest | None) -> None:
            if request is None:
                self.set_status("export cancelled")
            elif request.path.exists():
                self._confirm_overwrite(spec, request)
            else:
                self._export(spec, request, False)

        self.push_screen(ExportScreen(spec.table, hint, self.cwd, name), chosen)

    def _confirm_overwrite(self, spec: ViewSpec, request: Any) -> None:
        from tui.screens.dialog import ConfirmScreen

        def answered(yes: bool | None) -> None:
            if yes:
                self._export(spec, request, True)
            else:
                self.set_status(f"not written: {request.path} exists")

        self.push_screen(ConfirmScreen(f"{request.path} exists. Overwrite it?"), answered)

    @work(thread=True, group="export", exit_on_error=False)
    def _export(self, spec: ViewSpec, request: Any, force: bool) -> None:
        self.post_message(StatusNote(f"writing {request.path}…"))
        try:
            with reading(self.db_path, on_wait=self._lock_wait,
                         memory_limit=READER_MEMORY) as con:
                result = export_view(con, spec, request.path, fmt=request.fmt, force=force)
        except ExportExistsError:
            self.post_message(ExportDone(None, exists=True, request=request))
            return
        except (ExportError, StoreError, duckdb.Error, OSError) as exc:
            self.post_message(ExportDone(None, error=str(exc)))
            return
        self.post_message(ExportDone(result))

    def on_export_done(self, message: ExportDone) -> None:
        if message.exists:
            self._confirm_overwrite(self.spec, message.request)
        elif message.result is not None:
            path = message.result.path
            where = f"{path.name} in {path.parent}" if path else "stdout"
            text = f"wrote {message.result.rows:,} rows to {where}"
            self.set_status(text)
            self.notify(f"wrote {message.result.rows:,} rows to {path}", title="Export")
        else:
            self.set_status(f"export failed: {message.error}")
            self.notify(message.error, title="Export failed", severity="error")

    # -- saved views --------------------------------------------------------------------------

    def action_save_view(self) -> None:
        """Save the current view as views/NAME.toml in the config directory."""
        from tui.screens.dialog import ConfirmScreen
        from tui.screens.views import SaveViewScreen

        spec = self.spec

        def save(path: Path) -> None:
            try:
                spec.save(path)
            except OSError as exc:
                self.set_status(f"cannot save {path}: {exc.strerror}")
                return
            self.set_status(f"saved view to {path}")

        def named(name: str | None) -> None:
            if name is None:
                return
            path = self.views_dir / f"{name}.toml"
            if path.exists():
                self.push_screen(ConfirmScreen(f"A view named {name!r} exists. Replace it?"),
                                 lambda yes: save(path) if yes else self.set_status("not saved"))
            else:
                save(path)

        self.push_screen(SaveViewScreen(self.views_dir, spec.summary()), named)

    def action_open_view(self) -> None:
        """Open a saved view."""
        from tui.screens.views import OpenViewScreen

        def chosen(name: str | None) -> None:
            if name is None:
                return
            self.open_view_file(self.views_dir / f"{name}.toml")

        self.push_screen(OpenViewScreen(self.views_dir), chosen)

    def open_view_file(self, path: Path) -> None:
        """Make the view saved in `path` current; problems go to the status line."""
        try:
            spec = ViewSpec.load(path)
            if self.info.get("themes_known"):
                spec.check_themes(self.info["themes_known"])
        except ViewSpecError as exc:
            self.set_status(str(exc))
            return
        self.push_spec(spec, f"opened view {path.stem}")

    # -- help and palette ---------------------------------------------------------------------

    def key_list(self) -> list[tuple[str, str, str]]:
        """(keys, what it does, binding id) of every dashboard key, for the help screen."""
        rows = []
        for binding in self.BINDINGS:
            if not isinstance(binding, Binding):
                continue
            keys = self._keymap.get(binding.id or "", binding.key)
            shown = ", ".join(key_display(k) for k in keys.split(","))
            rows.append((shown, binding.tooltip or binding.description, binding.id or ""))
        for where, binding in local_bindings():
            keys = self._keymap.get(binding.id or "", binding.key)
            shown = ", ".join(key_display(k) for k in keys.split(","))
            rows.append((shown, f"{where}: {binding.tooltip or binding.description}",
                         binding.id or ""))
        rows += [
            ("Ctrl+P", "Command palette: every action by name", ""),
            ("Tab, Shift+Tab", "Move between the filter panel, tabs and tables", ""),
            ("Arrows, PgUp, PgDn", "Move in tables, lists and trees", ""),
            ("Enter", "Open the articles behind a row or cell; apply a dialog", ""),
            ("Space", "Toggle a value in a filter dialog", ""),
            ("Escape", "Close a dialog or screen without changes", ""),
        ]
        return rows

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """The command palette offers every action of the dashboard."""
        yield from super().get_system_commands(screen)
        for binding in self.BINDINGS:
            if isinstance(binding, Binding) and binding.id != "quit":
                yield SystemCommand(
                    binding.tooltip or binding.description,
                    f"key: {self.key_for(binding.id or '')}",
                    partial(self.run_action, binding.action),
                )

    def action_help(self) -> None:
        """Show every key and action."""
        from tui.screens.help import HelpScreen

        self.push_screen(HelpScreen(self.key_list(), str(self.config_path / "keymap.toml")))
