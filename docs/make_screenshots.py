"""Write SVG screenshots of the dashboard on the demo data into docs/screenshots/.

Run: uv run python docs/make_screenshots.py

Every tab at 120x36 (trends, regions, articles, cooccurrence), the help screen, the themes
filter dialog, and the Trends tab at 80x24 as over a plain SSH session.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import Any

from importers.demo import DEFAULT_ARTICLES, DEFAULT_SEED, build_sample_database
from store.viewspec import ViewSpec
from tui.app import DashboardApp

OUT = Path(__file__).resolve().parent / "screenshots"

# A view with a story: the demo corpus' United Front peak of 2018, Confucius Institutes closing
# in 2019-2020, vaccine diplomacy in 2021, state media throughout.
STORY = ViewSpec(themes=("united-front", "confucius-institutes", "vaccine-diplomacy",
                         "state-media"), every="quarter")


async def settle(app: DashboardApp, pilot: Any) -> None:
    """Wait until every worker is done and the screen shows their results."""
    for _ in range(3):
        await pilot.pause()
        await app.workers.wait_for_complete()
    await pilot.pause()


async def shoot(db: Path) -> list[str]:
    """Open the dashboard and save one SVG per screen; returns the file names."""
    written = []

    def save(app: DashboardApp, name: str) -> None:
        app.save_screenshot(name, path=str(OUT))
        written.append(name)

    app = DashboardApp(db_path=db, demo=True, view=STORY, poll_seconds=0, cwd=db.parent,
                       config_path=db.parent)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app, pilot)
        save(app, "trends.svg")
        for key, name in (("2", "regions.svg"), ("3", "articles.svg"),
                          ("4", "cooccurrence.svg")):
            await pilot.press(key)
            await settle(app, pilot)
            save(app, name)
        await pilot.press("1", "question_mark")
        await settle(app, pilot)
        save(app, "help.svg")
        await pilot.press("escape", "t")
        await settle(app, pilot)
        await pilot.press(*"media")
        await settle(app, pilot)
        save(app, "filters.svg")
    app = DashboardApp(db_path=db, demo=True, view=STORY, poll_seconds=0, cwd=db.parent,
                       config_path=db.parent)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        save(app, "trends-80x24.svg")
    return written


def main() -> None:
    """Build the demo database in a temporary folder and take the screenshots."""
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "demo.duckdb"
        build_sample_database(db, DEFAULT_ARTICLES, DEFAULT_SEED)
        names = asyncio.run(shoot(db))
    print(f"wrote {', '.join(names)} to {OUT}")


if __name__ == "__main__":
    main()
