"""Write SVG screenshots of the dashboard on the demo data into docs/screenshots/.

Run: uv run python docs/make_screenshots.py
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from importers.demo import DEFAULT_ARTICLES, DEFAULT_SEED, build_sample_database
from tui.app import DashboardApp

OUT = Path(__file__).resolve().parent / "screenshots"


async def shoot(db: Path) -> None:
    """Open the dashboard at 120x36 and save the Trends tab and the help screen."""
    app = DashboardApp(db_path=db, demo=True)
    async with app.run_test(size=(120, 36)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        app.save_screenshot("trends.svg", path=str(OUT))
        await pilot.press("question_mark")
        await pilot.pause()
        app.save_screenshot("help.svg", path=str(OUT))


def main() -> None:
    """Build the demo database in a temporary folder and take the screenshots."""
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "demo.duckdb"
        build_sample_database(db, DEFAULT_ARTICLES, DEFAULT_SEED)
        asyncio.run(shoot(db))
    print(f"wrote screenshots to {OUT}")


if __name__ == "__main__":
    main()
