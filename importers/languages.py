"""Language names and ISO 639-2/3 codes (as GDELT gives them) → ISO 639-1, from `pycountry`."""

from __future__ import annotations

from functools import cache

import pyarrow as pa
import pycountry


@cache
def _codes() -> dict[str, str]:
    """Every alpha-3 code, name and bibliographic code of a language that has a 639-1 code."""
    table: dict[str, str] = {}
    for lang in pycountry.languages:
        alpha_2 = getattr(lang, "alpha_2", None)
        if not alpha_2:
            continue
        for attr in ("alpha_3", "bibliographic", "terminology"):
            code = getattr(lang, attr, None)
            if code:
                table.setdefault(code.lower(), alpha_2)
        table.setdefault(alpha_2.lower(), alpha_2)
    names: dict[str, str] = {}
    for lang in pycountry.languages:
        alpha_2 = getattr(lang, "alpha_2", None)
        if not alpha_2:
            continue
        for attr in ("name", "common_name", "inverted_name"):
            value = getattr(lang, attr, None)
            if not value:
                continue
            key = value.casefold()
            names.setdefault(key, alpha_2)
            # "Modern Greek (1453-)", "Malay (macrolanguage)": also known by the bare name.
            bare = key.split(" (", 1)[0].removeprefix("modern ").strip()
            names.setdefault(bare, alpha_2)
    for key, value in names.items():
        table.setdefault(key, value)
    return table


def to_iso639_1(value: str | None) -> str | None:
    """'English', 'eng' or 'en' → 'en'; None for empty input; the input unchanged when unknown."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    return _codes().get(text.casefold(), text)


@cache
def language_table() -> pa.Table:
    """The conversion as a two-column Arrow table (`key` lower-cased name or code, `iso639_1`)."""
    items = sorted(_codes().items())
    return pa.table(
        {
            "key": pa.array([k for k, _ in items], pa.string()),
            "iso639_1": pa.array([v for _, v in items], pa.string()),
        }
    )
