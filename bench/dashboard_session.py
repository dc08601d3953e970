"""One headless dashboard session on a corpus, timed through Textual's Pilot; prints JSON.

Measures, in this order and in one process (so the process's memory is a session's memory):
  launch     App() → first full screen (the header and the Trends tab with its numbers);
  keypress   one key that changes the view → its new numbers on screen (median of --runs presses
             of bench_dashboard.KEYS, measured as bench_dashboard.py does; also the presses
             whose view had not been read before);
  scroll     the Articles tab → its last row in view (key `end`);
and the process's resident memory at the end and at its peak. `bench_scaling.py` runs it as a
subprocess and also records the peak RSS the kernel reports for it.

    uv run --group bench python bench/dashboard_session.py --db PATH [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

import bench_dashboard
import common
from common import Timing, rss_now, rss_peak

SIZE = (120, 36)


def make_app(db: Path) -> Any:
    """The dashboard on `db` and the benchmark view, without polling for new imports."""
    from tui.app import DashboardApp

    return DashboardApp(db_path=db, view=bench_dashboard.view(), poll_seconds=0)


async def settle(app: Any, pilot: Any) -> None:
    """Wait until every worker is done and the screen has been refreshed with their results."""
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


async def session(db: Path, runs: int) -> dict[str, object]:
    start = time.perf_counter()
    app = make_app(db)
    out: dict[str, object] = {}
    async with app.run_test(size=SIZE) as pilot:
        await bench_dashboard.wait_for_current(app)
        while not app.info:
            await asyncio.sleep(0.001)
        out["launch"] = Timing((await bench_dashboard.refreshed(app) - start,)).to_dict()
        ready = await bench_dashboard.working_set_ready(app)
        out["working_set"] = ready
        await settle(app, pilot)
        presses = await bench_dashboard.press_keys(app, runs)
        out["keypress"] = Timing(tuple(p["shown"] for p in presses)).to_dict()
        fresh = tuple(p["shown"] for p in presses if p["source"] != "cache")
        out["keypress_read"] = Timing(fresh).to_dict() if fresh else None
        out["keypress_sources"] = [p["source"] for p in presses]
        out["keys"] = [p["key"] for p in presses]
        await settle(app, pilot)
        await pilot.press("3")
        await settle(app, pilot)
        scrolls = []
        for _ in range(max(1, runs // 2)):
            t0 = time.perf_counter()
            await pilot.press("end")
            await settle(app, pilot)
            scrolls.append(time.perf_counter() - t0)
            await pilot.press("home")
            await settle(app, pilot)
        out["scroll"] = Timing(tuple(scrolls)).to_dict()
        out["rss_end"] = rss_now()
    out["rss_peak"] = rss_peak()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    common.hide_pandas()  # as installed for users
    figures = asyncio.run(session(args.db, args.runs))
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
