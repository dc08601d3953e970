"""FIPS 10-4 → ISO 3166-1 alpha-2 conversion and language codes."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pycountry
import pytest

from importers.fips import country_to_iso2, fips_mapping, fips_table, fips_to_iso2
from importers.languages import to_iso639_1

REAL = Path(__file__).resolve().parents[2].parent / "shared" / "realdata" / "gdelt-doc"


@pytest.mark.parametrize(
    "fips, iso",
    [
        ("CH", "CN"),  # China (ISO CH is Switzerland)
        ("SZ", "CH"),  # Switzerland
        ("UK", "GB"),
        ("RS", "RU"),  # Russia (ISO RS is Serbia)
        ("RI", "RS"),  # Serbia
        ("GM", "DE"),
        ("AS", "AU"),
        ("IS", "IL"),
        ("KS", "KR"),
        ("KN", "KP"),
        ("TW", "TW"),
        ("ET", "ET"),
        ("US", "US"),
        ("GZ", "PS"),  # Gaza: part of ISO PS
        ("WQ", "UM"),  # Wake Island
        ("us", "US"),  # case and blanks do not matter
        (" CH ", "CN"),
    ],
)
def test_known_codes(fips: str, iso: str) -> None:
    assert fips_to_iso2(fips) == iso


@pytest.mark.parametrize("fips", ["OS", "PG", "PF", "UF", "AX", "YI", "NT", "", "ZZ", None])
def test_codes_without_an_iso_equivalent(fips: str | None) -> None:
    # oceans, Spratly/Paracel Islands, undersea features, Akrotiri, and withdrawn entities
    assert fips_to_iso2(fips) is None


def test_every_result_is_a_current_iso_code_or_kosovo() -> None:
    current = {c.alpha_2 for c in pycountry.countries}
    results = set(fips_mapping().values())
    assert results - current <= {"XK"}
    assert len(results) > 240


def test_real_gdelt_fips_list_is_covered() -> None:
    """Every entity GDELT's own FIPS list keeps (Delete=0) converts, but the dissolved one."""
    path = REAL / "fips_country_names.csv"
    if not path.exists():
        pytest.skip(f"real GDELT FIPS list {path} not present (it lives beside the project)")
    with path.open(encoding="utf-8", newline="") as fh:
        kept = [r["Code"] for r in csv.DictReader(fh) if r["Delete"] == "0"]
    missing = [code for code in kept if fips_to_iso2(code) is None]
    assert missing == ["NT"]  # Netherlands Antilles: split in 2010 into CW, SX and BQ


def test_vectorised_table_agrees_with_the_scalar_function() -> None:
    table = fips_table()
    assert table.column_names == ["fips", "iso2"]
    con = duckdb.connect()
    con.register("fips", table)
    rows = con.sql(
        "SELECT c, f.iso2 FROM unnest(['CH', 'UK', 'OS', 'RS']) AS t(c) "
        "LEFT JOIN fips f ON f.fips = t.c ORDER BY c"
    ).fetchall()
    assert rows == [(c, fips_to_iso2(c)) for c in sorted(["CH", "UK", "OS", "RS"])]
    assert len(set(table.column("fips").to_pylist())) == table.num_rows


def test_names_and_codes() -> None:
    assert country_to_iso2("CH") == "CN"  # two letters: a FIPS code
    assert country_to_iso2("China") == "CN"
    assert country_to_iso2("united states") == "US"
    assert country_to_iso2("Atlantis") is None
    assert country_to_iso2("") is None


def test_languages() -> None:
    assert to_iso639_1("English") == "en"
    assert to_iso639_1("Chinese") == "zh"
    assert to_iso639_1("Greek") == "el"
    assert to_iso639_1("ces") == "cs"
    assert to_iso639_1("Klingonese") == "Klingonese"
    assert to_iso639_1("  ") is None
