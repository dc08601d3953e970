"""The theme taxonomy (`themes.toml`) and the country → region map (`regions.csv`)."""

from __future__ import annotations

import csv
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import duckdb
import polars as pl

from store.paths import sample_data_dir

REGIONS = (
    "Africa",
    "Middle East & North Africa",
    "Europe",
    "North America",
    "Latin America & Caribbean",
    "East Asia",
    "Southeast Asia",
    "South Asia",
    "Central Asia",
    "Pacific",
)


@dataclass(frozen=True)
class Theme:
    """One entry of the taxonomy."""

    id: str
    label: str
    parent: str | None
    description: str


@cache
def load_themes(path: Path | None = None) -> tuple[Theme, ...]:
    """Read the taxonomy file; parents come before their children."""
    path = path or sample_data_dir() / "themes.toml"
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    themes = tuple(
        Theme(
            id=t["id"],
            label=t.get("label", t["id"]),
            parent=t.get("parent"),
            description=t.get("description", ""),
        )
        for t in data.get("theme", [])
    )
    ids = {t.id for t in themes}
    for t in themes:
        if t.parent is not None and t.parent not in ids:
            raise ValueError(f"{path}: theme {t.id!r} has unknown parent {t.parent!r}")
    return themes


@cache
def load_region_map(path: Path | None = None) -> pl.DataFrame:
    """Country (ISO alpha-2) → name, region, as a frame with columns country, name, region."""
    path = path or sample_data_dir() / "regions.csv"
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    frame = pl.DataFrame(
        {
            "country": [r["country"] for r in rows],
            "name": [r["name"] for r in rows],
            "region": [r["region"] for r in rows],
        },
        schema={"country": pl.String, "name": pl.String, "region": pl.String},
    )
    unknown = set(frame["region"]) - set(REGIONS)
    if unknown:
        raise ValueError(f"{path}: unknown regions {sorted(unknown)}")
    return frame


def sync_reference_data(con: duckdb.DuckDBPyConnection) -> None:
    """Bring the taxonomy and region map in the file up to the bundled files, in one transaction.

    Themes first seen in imports (origin 'import') are kept unless the taxonomy now defines them.
    """
    themes = pl.DataFrame(
        {
            "id": [t.id for t in load_themes()],
            "label": [t.label for t in load_themes()],
            "parent": [t.parent for t in load_themes()],
            "description": [t.description for t in load_themes()],
        },
        schema={"id": pl.String, "label": pl.String, "parent": pl.String, "description": pl.String},
    )
    regions = load_region_map()
    con.register("_bundled_themes", themes)
    con.register("_bundled_regions", regions)
    try:
        con.execute("BEGIN TRANSACTION")
        con.execute(
            "DELETE FROM themes WHERE origin = 'taxonomy' "
            "OR id IN (SELECT id FROM _bundled_themes)"
        )
        con.execute(
            "INSERT INTO themes SELECT id, label, parent, description, 'taxonomy' "
            "FROM _bundled_themes"
        )
        con.execute("DELETE FROM region_map")
        con.execute("INSERT INTO region_map SELECT country, name, region FROM _bundled_regions")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        con.unregister("_bundled_themes")
        con.unregister("_bundled_regions")


def descendants(con: duckdb.DuckDBPyConnection, theme_ids: list[str]) -> list[str]:
    """The given themes and all their descendants in the taxonomy stored in the file."""
    if not theme_ids:
        return []
    rows = con.sql(
        """
        WITH RECURSIVE sub(id) AS (
            SELECT id FROM themes WHERE list_contains($ids, id)
            UNION
            SELECT t.id FROM themes t JOIN sub ON t.parent = sub.id
        )
        SELECT DISTINCT id FROM sub ORDER BY id
        """,
        params={"ids": theme_ids},
    ).fetchall()
    return [r[0] for r in rows]
