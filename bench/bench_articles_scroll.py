"""Articles tab: time from End to the last of 10M article keys on screen, against 10k keys.

The rows come from an in-memory fake `fetch` (the widget is measured, not the database; the
database's page read is in the aggregate section). Counts the rows the tab asked for.

Run: uv run --group bench python bench/bench_articles_scroll.py [--keys N] [--runs N]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402
import polars as pl  # noqa: E402
from textual.app import App, ComposeResult  # noqa: E402

from store.viewspec import ViewSpec  # noqa: E402
from tui.tabs.articles import ArticlesTab, ArticleTable  # noqa: E402

BASELINE_KEYS = 10_000


class Fetcher:
    """Rows made up from the keys asked for; counts calls and rows."""

    def __init__(self) -> None:
        self.calls = 0
        self.rows = 0

    def __call__(self, aids: Sequence[int]) -> pl.DataFrame:
        self.calls += 1
        self.rows += len(aids)
        base = datetime(2024, 1, 1)
        return pl.DataFrame({
            "id": [f"a{a}" for a in aids],
            "published": [base - timedelta(minutes=a) for a in aids],
            "source": ["Source"] * len(aids),
            "title": [f"title of {a}" for a in aids],
            "url": [f"https://example.org/{a}" for a in aids],
            "themes": ["united-front"] * len(aids),
            "regions": ["Africa"] * len(aids),
        })


class OneTab(App[None]):
    def __init__(self, tab: ArticlesTab) -> None:
        super().__init__()
        self.tab = tab

    def compose(self) -> ComposeResult:
        yield self.tab


async def one_run(n: int) -> tuple[float, float, int]:
    """(show → first screen, End → last row on screen, rows fetched) for `n` keys at 80×24."""
    fetch = Fetcher()
    tab = ArticlesTab(id="articles")
    app = OneTab(tab)
    keys = pl.Series("aid", range(n), dtype=pl.Int64)
    async with app.run_test(size=(80, 24)) as pilot:
        start = time.perf_counter()
        tab.show(ViewSpec(table="articles"), keys, fetch, lambda _id: None)
        await pilot.pause()
        first = time.perf_counter() - start
        table = tab.query_one(ArticleTable)
        table.focus()
        await pilot.pause()
        start = time.perf_counter()
        await pilot.press("end")
        await pilot.pause()
        end = time.perf_counter() - start
        if table.cursor_row != n - 1 or tab.rows is None or tab.rows.row(n - 1)[2] != (
                f"title of {n - 1}"):
            raise SystemExit("the last row was not reached")
    return first, end, fetch.rows


def main() -> None:
    """Measure and write the 'articles-scroll' section of docs/benchmarks.md."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--keys", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(one_run(BASELINE_KEYS))  # warm-up
    base = [asyncio.run(one_run(BASELINE_KEYS)) for _ in range(args.runs)]
    big = [asyncio.run(one_run(args.keys)) for _ in range(args.runs)]

    def med(runs: list[tuple[float, float, int]], i: int) -> float:
        return statistics.median(r[i] for r in runs) * 1000

    body = "\n".join([
        "## Articles tab: scrolling millions of rows",
        "",
        f"Terminal 80×24, headless (Textual Pilot), medians of {args.runs} runs; rows from an"
        " in-memory fetch (the widget is timed, not the database).",
        "",
        "| keys | show → first screen | End → last row on screen | rows fetched in all |",
        "|---|---|---|---|",
        f"| {BASELINE_KEYS:,} (baseline) | {med(base, 0):.0f} ms | {med(base, 1):.0f} ms |"
        f" {base[-1][2]} |",
        f"| {args.keys:,} | {med(big, 0):.0f} ms | {med(big, 1):.0f} ms | {big[-1][2]} |",
        "",
        f"Ratio {args.keys:,} / {BASELINE_KEYS:,} keys: first screen"
        f" {med(big, 0) / med(base, 0):.2f}×, End {med(big, 1) / med(base, 1):.2f}×."
        " Both include Pilot's own wait for the screen to settle.",
    ])
    common.write_section("articles-scroll", body,
                         command=common.command_text("bench/bench_articles_scroll.py",
                                                     sys.argv[1:]))
    print(body)


if __name__ == "__main__":
    main()
