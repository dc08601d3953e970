"""Dashboard timings on a large database: launch to first full screen, key press to new numbers.

Run: uv run python bench/bench_dashboard.py [--db PATH] [--runs N]
(default database: the cached 1M-article corpus in bench/.cache).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402

from tui.app import DashboardApp  # noqa: E402


async def first_screen(db: Path) -> float:
    """Seconds from creating the app to the Trends table and plot filled."""
    start = time.perf_counter()
    app = DashboardApp(db_path=db)
    async with app.run_test(size=(120, 36)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        elapsed = time.perf_counter() - start
        assert app.query_one("#series").row_count > 0
        await pilot.press("q")
    return elapsed


async def reloads(db: Path, runs: int) -> list[float]:
    """Seconds from pressing R to the table and plot redrawn with the numbers read again."""
    app = DashboardApp(db_path=db)
    times: list[float] = []
    async with app.run_test(size=(120, 36)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        for _ in range(runs):
            start = time.perf_counter()
            await pilot.press("R")
            await app.workers.wait_for_complete()
            await pilot.pause()
            times.append(time.perf_counter() - start)
        await pilot.press("q")
    return times


def main() -> None:
    """Measure and write the 'dashboard' section of docs/benchmarks.md."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path,
                        default=common.cache_dir() / "corpus-1M-s7-g0daea1c5a2.duckdb")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    firsts = [asyncio.run(first_screen(args.db)) for _ in range(3)]
    keys = asyncio.run(reloads(args.db, args.runs))
    first_ms = statistics.median(firsts) * 1000
    key_ms = statistics.median(keys) * 1000
    body = "\n".join([
        "## dashboard: first screen and key presses",
        "",
        f"Database: `{args.db.name}`. Terminal 120×36, headless (Textual Pilot).",
        "",
        f"- launch → first full screen (Trends table and plot filled): median {first_ms:.0f} ms"
        " over 3 launches (target ≤ 1.5 s)",
        f"- key press `R` (reload) → table and plot showing the numbers read again: median"
        f" {key_ms:.0f} ms over {args.runs} presses (target ≤ 150 ms per key press)",
        "",
        "Only the reload key changes the data so far; the filter keys of issue 4 are not built.",
    ])
    argv = sys.argv[1:]
    common.write_section("dashboard-keys", body,
                         command=common.command_text("bench/bench_dashboard.py", argv))
    print(body)


if __name__ == "__main__":
    main()
