"""The bundled taxonomy and region map: complete, well-formed, and what the store expects."""

from __future__ import annotations

import re
import tomllib

import pycountry

from store.paths import sample_data_dir
from store.taxonomy import REGIONS, load_region_map, load_themes

ISSUE_THEMES = {
    "united-front", "confucius-institutes", "party-training", "china-model", "state-media",
    "external-propaganda", "censorship", "un-human-rights", "un-influence", "belt-and-road",
    "vaccine-diplomacy", "countermeasures",
}


def test_themes_hold_the_required_ids_grouped_under_parents() -> None:
    themes = {t.id: t for t in load_themes()}
    assert ISSUE_THEMES <= set(themes)
    for theme_id in ISSUE_THEMES:
        parent = themes[theme_id].parent
        assert parent is not None, f"{theme_id} has no parent"
        assert themes[parent].parent is None
    parents = {t.parent for t in themes.values() if t.parent}
    assert len(parents) >= 5


def test_themes_are_slugs_with_labels_and_one_line_descriptions() -> None:
    seen: set[str] = set()
    for t in load_themes():
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", t.id), t.id
        assert t.id not in seen
        assert t.parent is None or t.parent in seen, f"{t.id}: parent must come first"
        seen.add(t.id)
        assert t.label and t.label != t.id
        assert t.description and "\n" not in t.description


def test_themes_file_has_only_known_keys() -> None:
    with (sample_data_dir() / "themes.toml").open("rb") as fh:
        data = tomllib.load(fh)
    assert set(data) == {"theme"}
    for entry in data["theme"]:
        assert set(entry) <= {"id", "label", "parent", "description"}


def test_region_map_covers_every_iso_code_with_a_known_region() -> None:
    frame = load_region_map()
    codes = frame["country"].to_list()
    assert len(codes) >= 249
    assert len(set(codes)) == len(codes)
    assert all(re.fullmatch(r"[A-Z]{2}", c) for c in codes)
    assert {c.alpha_2 for c in pycountry.countries} <= set(codes)
    assert "XK" in codes
    assert set(frame["region"]) <= set(REGIONS)
    assert set(frame["region"]) == set(REGIONS)
    assert all(name.strip() for name in frame["name"])


def test_region_map_places_familiar_countries() -> None:
    region = dict(zip(load_region_map()["country"], load_region_map()["region"], strict=True))
    expected = {
        "CN": "East Asia", "TW": "East Asia", "ET": "Africa", "US": "North America",
        "EG": "Middle East & North Africa", "SA": "Middle East & North Africa",
        "IR": "Middle East & North Africa", "KZ": "Central Asia", "IN": "South Asia",
        "PK": "South Asia", "ID": "Southeast Asia", "AU": "Pacific", "FJ": "Pacific",
        "BR": "Latin America & Caribbean", "MX": "Latin America & Caribbean",
        "JM": "Latin America & Caribbean", "GB": "Europe", "RU": "Europe", "XK": "Europe",
        "CA": "North America", "ZA": "Africa",
    }
    for code, want in expected.items():
        assert region[code] == want, code
