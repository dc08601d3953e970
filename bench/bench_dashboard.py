"""Dashboard timings on a large corpus, measured through Textual's Pilot (headless, 120x36).

    uv run --group bench python bench/bench_dashboard.py [--db PATH] [--runs N] [--quick]

- launch → first full screen: from creating the app to the header and the Trends tab (table and
  plot) showing the numbers of the view (the other tabs keep loading in the background);
- key press → new numbers: a key, delivered as the terminal driver delivers it, that changes the
  view (granularity, metric, split by region, clear, undo/redo of the theme and region filter)
  until the current tab's table and plot hold the new view's numbers and the frame that paints
  them has been written (the plot is built during that frame; a table whose columns are sized
  after it counts until the frame after);
- baseline in the same process: the queries behind the Trends tab alone (`aggregate.trends` and
  `aggregate.spikes` on a fresh read-only connection) for the same views.
Default database: the cached 1M-article corpus of bench/.cache (built when absent).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402
from common import Timing  # noqa: E402

QUICK_SIZE = 3_000
SIZE = (120, 36)
KEY_TARGET = 0.150
LAUNCH_TARGET = 1.5
# Pressed in turn from VIEW; each changes the view (u/U step through the filter history).
KEYS = ("g", "m", "b", "x", "u", "U", "u", "g", "m", "b")


def view() -> Any:
    """The scaling benchmark's kind of view: five leaf themes in three regions."""
    from store.viewspec import ViewSpec

    return ViewSpec(themes=("united-front", "state-media", "confucius-institutes",
                            "party-training", "un-human-rights"),
                    regions=("Africa", "Pacific", "Europe"))


async def after_refresh(app: Any) -> float:
    """The time at which the screen has next been brought up to date (at once when nothing
    waits to be painted): Textual runs `call_after_refresh` callbacks after the frame that
    paints what was pending has been written."""
    done: asyncio.Future[float] = asyncio.get_running_loop().create_future()
    app.call_after_refresh(lambda: done.done() or done.set_result(time.perf_counter()))
    return await done


def pending_paint(app: Any) -> bool:
    """Whether the screen still owes the current tab's numbers a frame: a layout to redo, a
    widget of the tab marked for repaint, or a table of the tab whose columns are not yet sized
    to the rows just put in it (DataTable sizes them when next idle, and repaints).

    Not counted: the spinner and status line, which change while the other tabs load, and a
    scroll bar repainted on its own (Textual moves a table's scroll thumb to its new length a
    frame after the rows it measures are on screen).
    """
    from textual.scrollbar import ScrollBar
    from textual.widgets import DataTable

    from tui.app import tab_of

    screen, tab = app.screen, app.tab_widget(tab_of(app.spec.table))
    if screen._layout_required or screen._scroll_required or screen._repaint_required:
        return True
    if any((widget is tab or tab in widget.ancestors) and not isinstance(widget, ScrollBar)
           for widget in screen._dirty_widgets):
        return True
    return any(table._require_update_dimensions or table._updated_cells
               for table in tab.query(DataTable))


async def refreshed(app: Any) -> float:
    """The time of the frame that brings the screen up to date with what was just shown
    (the table's rows and sized columns, the plot built for the new series)."""
    while True:
        stamp = await after_refresh(app)
        if not pending_paint(app):
            return stamp


async def wait_for_current(app: Any, poll: float = 0.001) -> float:
    """Until the current tab shows the current view's numbers; the time they reach the screen."""
    from tui.app import data_key, tab_of

    while app.shown.get(tab_of(app.spec.table)) != data_key(app.spec):
        await asyncio.sleep(poll)
    return await refreshed(app)


def send_key(app: Any, key: str) -> None:
    """Deliver a key as the terminal driver does (Pilot.press would also wait for idle CPU,
    which includes the background loads of the other tabs)."""
    from textual import events

    character = key if len(key) == 1 else None
    event = events.Key(key, character)
    event.set_sender(app)
    app._driver.send_message(event)


async def idle(app: Any, pilot: Any) -> None:
    """Until every worker (the other tabs' loads) is done."""
    for _ in range(2):
        await app.workers.wait_for_complete()
        await pilot.pause()


async def launch_once(db: Path) -> tuple[float, float]:
    """Seconds to the first full screen, and to every tab loaded."""
    from tui.app import DashboardApp

    start = time.perf_counter()
    app = DashboardApp(db_path=db, view=view(), poll_seconds=0)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_current(app)
        while not app.info:
            await asyncio.sleep(0.001)
        first = await refreshed(app) - start
        await idle(app, pilot)
        everything = time.perf_counter() - start
        assert app.query_one("#trends-table").row_count > 0
        await pilot.press("q")
    return first, everything


SOURCES = ("working set", "file", "cache")


def record_sources(app: Any) -> list[tuple[str, str]]:
    """Instrument `app` to log where each tab's numbers come from: (tab, source)."""
    log: list[tuple[str, str]] = []
    cache_get, from_working_set = app.cache.get, app._from_working_set

    def get(tab: str, spec: Any) -> Any:
        payload = cache_get(tab, spec)
        log.append((tab, "cache" if payload is not None else "miss"))
        return payload

    def working_set(spec: Any, tab: str) -> Any:
        payload = from_working_set(spec, tab)
        if payload is not None:
            log.append((tab, "working set"))
        return payload

    app.cache.get, app._from_working_set = get, working_set
    return log


def source_of(log: list[tuple[str, str]], tab: str) -> str:
    """Where the first read of `tab` in `log` found its numbers."""
    entries = [source for t, source in log if t == tab]
    if not entries or entries[0] == "cache":
        return "cache"
    return "working set" if "working set" in entries else "file"


async def working_set_ready(app: Any, limit: float = 300.0) -> float | None:
    """Seconds until the dashboard's in-memory working set is built (None: none was)."""
    t0 = time.perf_counter()
    while app.working_set is None:
        if time.perf_counter() - t0 > limit:
            return None
        await asyncio.sleep(0.005)
    return time.perf_counter() - t0


async def press_keys(app: Any, runs: int, keys: tuple[str, ...] = KEYS
                     ) -> list[dict[str, Any]]:
    """Press `runs` keys in turn (after one warm-up press), each until its numbers are on
    screen, then until every tab is reloaded; one record per press."""
    from tui.app import tab_of

    log = record_sources(app)
    presses: list[dict[str, Any]] = []
    for i in range(runs + 1):
        key = keys[i % len(keys)]
        before = app.spec
        log.clear()
        t0 = time.perf_counter()
        send_key(app, key)
        while app.spec == before:
            if time.perf_counter() - t0 > 10:
                raise SystemExit(f"key {key!r} did not change the view")
            await asyncio.sleep(0.001)
        t1 = await wait_for_current(app)
        source = source_of(log, tab_of(app.spec.table))
        while app.loading is not None:  # the other tabs, read in the background
            await asyncio.sleep(0.001)
        t2 = await refreshed(app)
        if i:  # the first press warms up
            presses.append({"key": key, "spec": app.spec, "shown": t1 - t0,
                            "complete": t2 - t0, "source": source})
    return presses


async def key_presses(db: Path, runs: int) -> tuple[list[dict[str, Any]], float | None]:
    """The presses (see press_keys) and the seconds the working set took after the first
    screen."""
    from tui.app import DashboardApp

    app = DashboardApp(db_path=db, view=view(), poll_seconds=0)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_current(app)
        ready = await working_set_ready(app)
        await idle(app, pilot)
        presses = await press_keys(app, runs)
        await pilot.press("q")
    return presses, ready


def baseline(db: Path, specs: list[Any]) -> list[float]:
    """Seconds of the queries behind the Trends tab, alone, for the same views."""
    from store import aggregate
    from store.db import reading

    times = []
    for _key, spec in specs:
        t0 = time.perf_counter()
        with reading(db) as con:
            frame = aggregate.trends(con, spec.replace(table="trends"))
            aggregate.spikes(con, spec.replace(table="trends"), trends_frame=frame)
        times.append(time.perf_counter() - t0)
    return times


def per_key_rows(presses: list[dict[str, Any]], base: list[float]) -> list[str]:
    """One table row per key: presses, median time to the new numbers, median baseline,
    where the numbers came from."""
    rows = []
    for key in dict.fromkeys(p["key"] for p in presses):
        index = [i for i, p in enumerate(presses) if p["key"] == key]
        sources = ", ".join(f"{presses[i]['source']}" for i in index)
        rows.append(f"| `{key}` | {len(index)} | "
                    f"{common.fmt_seconds(statistics.median(presses[i]['shown'] for i in index))}"
                    f" | {common.fmt_seconds(statistics.median(base[i] for i in index))} | "
                    f"{sources} |")
    return rows


def source_rows(presses: list[dict[str, Any]], base: list[float]) -> list[str]:
    """Key press → new numbers by where the numbers came from, with the target mark."""
    rows = []
    for source in SOURCES:
        index = [i for i, p in enumerate(presses) if p["source"] == source]
        if not index:
            continue
        shown = Timing(tuple(presses[i]["shown"] for i in index))
        baseline_t = Timing(tuple(base[i] for i in index))
        mark = "✓" if shown.median <= KEY_TARGET else "✗"
        rows.append(f"| {source} | {len(index)} | {shown.text()} {mark} | {baseline_t.text()} "
                    f"| {shown.median / baseline_t.median:.2f}× |")
    return rows


def article_count(db: Path) -> int:
    """The number of articles in the database."""
    from store.db import reading

    with reading(db) as con:
        return int(con.sql("SELECT count(*) FROM articles").fetchall()[0][0])


def main() -> None:
    """Measure and write the 'dashboard-keys' section of docs/benchmarks.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=None,
                        help="corpus database (default: the cached 1M corpus, built if absent)")
    parser.add_argument("--runs", type=int, default=15, help="timed key presses")
    parser.add_argument("--launches", type=int, default=3, help="timed launches")
    parser.add_argument("--quick", action="store_true",
                        help=f"smoke run on a {QUICK_SIZE:,}-article corpus, 3 presses")
    args = parser.parse_args()
    runs = 3 if args.quick else args.runs
    launches = 1 if args.quick else args.launches
    db = args.db or common.corpus(QUICK_SIZE if args.quick else 1_000_000)
    common.hide_pandas()  # as installed for users
    load_before = os.getloadavg()[0]
    asyncio.run(launch_once(db))  # warm the page cache and the imports
    firsts, everything = zip(*[asyncio.run(launch_once(db)) for _ in range(launches)],
                             strict=True)
    presses, ready = asyncio.run(key_presses(db, runs))
    base = baseline(db, [(p["key"], p["spec"]) for p in presses])
    load_after = os.getloadavg()[0]
    launch_t, all_t = Timing(tuple(firsts)), Timing(tuple(everything))
    key_t = Timing(tuple(p["shown"] for p in presses))
    key_all_t = Timing(tuple(p["complete"] for p in presses))
    read = [i for i, p in enumerate(presses) if p["source"] != "cache"]
    read_t = Timing(tuple(presses[i]["shown"] for i in read)) if read else None
    base_t = Timing(tuple(base))
    ok_launch = launch_t.median <= LAUNCH_TARGET
    articles = article_count(db)

    def mark(timing: Timing | None) -> str:
        return "" if timing is None else ("✓" if timing.median <= KEY_TARGET else "✗")

    body = "\n".join([
        "## Dashboard: launch and key presses (Pilot)",
        "",
        f"Database `{db.name}` ({articles:,} articles), terminal {SIZE[0]}×{SIZE[1]}, headless "
        "Textual Pilot; the view: five themes in three regions, by month. Keys pressed in turn: "
        f"{' '.join(KEYS)} (granularity, metric, split by region, clear, undo, redo).",
        "",
        "| figure | median (range, runs) | target |",
        "| --- | --- | --- |",
        f"| launch → first full screen (header, Trends table and plot) | {launch_t.text()} | "
        f"≤ {LAUNCH_TARGET:.1f} s {'✓' if ok_launch else '✗'} |",
        f"| launch → all four tabs loaded | {all_t.text()} | |",
        "| first screen → in-memory working set ready (built in the background) | "
        f"{common.fmt_seconds(ready) if ready is not None else 'not built'} | |",
        f"| key press → Trends table and plot show the new numbers, every press | "
        f"{key_t.text()} | ≤ {KEY_TARGET * 1000:.0f} ms {mark(key_t)} |",
        f"| … presses whose view had not been read before | "
        f"{read_t.text() if read_t else '—'} | ≤ {KEY_TARGET * 1000:.0f} ms {mark(read_t)} |",
        f"| key press → all four tabs reloaded (in the background) | {key_all_t.text()} | |",
        f"| baseline: `aggregate.trends` + `aggregate.spikes` alone on a fresh read-only "
        f"connection to the file | {base_t.text()} | |",
        "",
        "By where the new numbers came from (*working set*: the in-memory copy of the daily "
        "and monthly pre-aggregates; *file*: a short read-only connection to the database, "
        "for views the copy cannot answer — sources, countries, text search, tone by day or week "
        "or of a parent theme; *cache*: "
        "a view read earlier in the session, as after undo and redo):",
        "",
        "| source | presses | key press → new numbers | baseline (same views) | ÷ baseline |",
        "| --- | ---: | ---: | ---: | ---: |",
        *source_rows(presses, base),
        "",
        "Per key (the view each key leads to differs: `x` clears the themes and regions while "
        "the split by region stays on, so it and the undo/redo around it count every theme in "
        "every region; `m` steps through count, share and tone):",
        "",
        "| key | presses | key press → new numbers (median) | baseline (median) | sources |",
        "| --- | ---: | ---: | ---: | --- |",
        *per_key_rows(presses, base),
        "",
        "Each key press starts one worker that reads the current tab first (then the header's "
        "counts, then the other tabs); a newer key press interrupts it. The rest of a press is "
        "the app's share: messages, the table, the plot (built at the next paint, never with "
        "more points than columns; the last 16 builds are kept) and the screen refresh.",
        "",
        f"Machine load average (1 min) at the start and end of this run: {load_before:.1f} and "
        f"{load_after:.1f} on {os.cpu_count()} cores; compare the ratio to the baseline rather "
        "than absolute times when it is well above the number of cores.",
    ])
    argv = sys.argv[1:]
    if args.quick and not os.environ.get("SOFTPOWER_BENCH_OUT"):
        print(body)  # a standalone smoke run leaves docs/benchmarks.md alone
        return
    common.write_section("dashboard-keys", body,
                         command=common.command_text("bench/bench_dashboard.py", argv))
    print(body)


if __name__ == "__main__":
    main()
