"""Write sample_data/regions.csv: every ISO 3166-1 alpha-2 code → one of the ten regions.

A development tool, run once when the country list changes; its inputs are not runtime dependencies:

    uv run --no-project --with pycountry --with country-converter --with 'pandas<3' \
        python tools/make_regions.py

Codes and names come from pycountry (ISO 3166-1), UN M49 sub-regions from country_converter.
The mapping from M49 sub-region to our regions, and the few countries placed otherwise, are below.
"""

from __future__ import annotations

import csv
from pathlib import Path

import country_converter as coco
import pycountry

OUT = Path(__file__).resolve().parents[1] / "sample_data" / "regions.csv"

M49_TO_REGION = {
    "Northern Africa": "Middle East & North Africa",
    "Eastern Africa": "Africa",
    "Middle Africa": "Africa",
    "Southern Africa": "Africa",
    "Western Africa": "Africa",
    "Western Asia": "Middle East & North Africa",
    "Central Asia": "Central Asia",
    "Southern Asia": "South Asia",
    "Eastern Asia": "East Asia",
    "South-eastern Asia": "Southeast Asia",
    "Northern Europe": "Europe",
    "Western Europe": "Europe",
    "Southern Europe": "Europe",
    "Eastern Europe": "Europe",
    "Northern America": "North America",
    "Caribbean": "Latin America & Caribbean",
    "Central America": "Latin America & Caribbean",
    "South America": "Latin America & Caribbean",
    "Australia and New Zealand": "Pacific",
    "Melanesia": "Pacific",
    "Micronesia": "Pacific",
    "Polynesia": "Pacific",
    "Antarctica": "Pacific",
}

# Where analysts' usage differs from the M49 sub-region.
OVERRIDES = {
    "IR": "Middle East & North Africa",  # M49: Southern Asia
    "AM": "Central Asia",  # M49: Western Asia; grouped with Central Asia as "the Caucasus"
    "AZ": "Central Asia",
    "GE": "Central Asia",
    "CY": "Europe",  # M49: Western Asia; an EU member
}

# Codes outside ISO 3166-1 that real sources use.
EXTRA = [("XK", "Kosovo", "Europe")]

# Shorter common names where pycountry gives the formal one.
NAMES = {
    "BO": "Bolivia",
    "BQ": "Caribbean Netherlands",
    "CD": "DR Congo",
    "FM": "Micronesia",
    "IR": "Iran",
    "KP": "North Korea",
    "KR": "South Korea",
    "LA": "Laos",
    "MD": "Moldova",
    "PS": "Palestine",
    "RU": "Russia",
    "SH": "Saint Helena",
    "SY": "Syria",
    "TW": "Taiwan",
    "TZ": "Tanzania",
    "VE": "Venezuela",
    "VN": "Vietnam",
    "BN": "Brunei",
    "CV": "Cape Verde",
    "CZ": "Czechia",
    "TR": "Turkey",
    "VA": "Vatican City",
    "VG": "British Virgin Islands",
    "VI": "US Virgin Islands",
    "SX": "Sint Maarten",
    "MF": "Saint Martin",
    "FK": "Falkland Islands",
    "CI": "Côte d'Ivoire",
}


def main() -> None:
    data = coco.CountryConverter().data
    m49 = dict(zip(data["ISO3"], data["UNregion"], strict=True))
    rows = []
    for c in pycountry.countries:
        region = OVERRIDES.get(c.alpha_2) or M49_TO_REGION[m49[c.alpha_3]]
        name = NAMES.get(c.alpha_2) or getattr(c, "common_name", None) or c.name
        rows.append((c.alpha_2, name, region))
    rows.extend(EXTRA)
    rows.sort()
    with OUT.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["country", "name", "region"])
        writer.writerows(rows)
    print(f"wrote {len(rows)} rows to {OUT}")


if __name__ == "__main__":
    main()
