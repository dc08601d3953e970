"""`ViewSpec`: the one immutable object that carries a view — filters, grouping, metric, table.

The dashboard makes a new one on every key press (undo is a stack of them), the CLI builds one
from flags, `store.aggregate` turns one into a table, and a saved view is one written as TOML:

    [filters]
    themes = ["united-front", "china-model"]
    regions = ["Africa", "Pacific"]
    since = 2018-01-01
    until = 2023-12-31

    [view]
    every = "quarter"
    metric = "share"
    by_region = true
    smooth = 1
    table = "trends"

Everything that can be checked without a database is checked when the object is made (a bad
value raises `ViewSpecError` with a message meant for the user); theme ids depend on what was
imported, so `check_themes()` checks them against the themes a database knows.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import os
import tempfile
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from store.taxonomy import REGIONS, load_region_map

EVERY = ("day", "week", "month", "quarter", "year")
METRICS = ("count", "share", "tone")
TABLES = ("trends", "regions", "articles", "cooccurrence", "spikes")
MAX_SMOOTH = 52

FILTER_KEYS = ("themes", "regions", "countries", "sources", "since", "until", "search")
VIEW_KEYS = ("every", "metric", "by_region", "smooth", "table")


class ViewSpecError(ValueError):
    """A view that cannot be: the message says which value is wrong and what would be right."""


def did_you_mean(value: str, choices: Iterable[str]) -> str:
    """' — did you mean 'x'?' for the closest choice, or '' when nothing is close."""
    choices = list(choices)
    lowered = {c.lower(): c for c in choices}
    close = difflib.get_close_matches(value.lower(), list(lowered), n=1, cutoff=0.6)
    return f" — did you mean {lowered[close[0]]!r}?" if close else ""


def _one_of(field: str, value: object, accepted: Iterable[str]) -> str:
    accepted = tuple(accepted)
    if not isinstance(value, str) or value.lower() not in accepted:
        hint = did_you_mean(value, accepted) if isinstance(value, str) else ""
        raise ViewSpecError(
            f"{field}: {value!r} is not one of {', '.join(accepted)}{hint}"
        )
    return value.lower()


def parse_date(value: object, field: str) -> date | None:
    """A date from a `date`, an ISO `YYYY-MM-DD` string, or None/'' (no bound)."""
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value.date() if hasattr(value, "hour") else value  # a datetime: its day
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise ViewSpecError(
                f"{field}: {value!r} is not a date (YYYY-MM-DD, e.g. 2018-01-01)"
            ) from None
    raise ViewSpecError(f"{field}: {value!r} is not a date (YYYY-MM-DD, e.g. 2018-01-01)")


def _strings(field: str, value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)):
        raise ViewSpecError(f"{field}: expected a list of strings, got {value!r}")
    out: list[str] = []
    for item in value:
        if not isinstance(item, str):
            raise ViewSpecError(f"{field}: expected a list of strings, got {item!r}")
        item = item.strip()
        if item and item not in out:
            out.append(item)
    return tuple(out)


@cache
def _country_lookup() -> dict[str, str]:
    """Upper-cased ISO alpha-2 code or English name → the code."""
    frame = load_region_map()
    lookup = {c.upper(): c for c in frame["country"]}
    lookup.update({n.upper(): c for n, c in zip(frame["name"], frame["country"], strict=True)})
    return lookup


def _region(value: str) -> str:
    for region in REGIONS:
        if region.lower() == value.lower():
            return region
    raise ViewSpecError(
        f"unknown region {value!r}{did_you_mean(value, REGIONS)} "
        f"(regions: {', '.join(REGIONS)})"
    )


def _country(value: str) -> str:
    code = _country_lookup().get(value.upper())
    if code is None:
        hint = did_you_mean(value, list(load_region_map()["name"]))
        raise ViewSpecError(
            f"unknown country {value!r}{hint} "
            "(an ISO 3166-1 alpha-2 code such as 'FR', or an English name)"
        )
    return code


@dataclass(frozen=True)
class ViewSpec:
    """Filters + grouping + metric + table. Immutable; `replace()` makes a changed copy."""

    themes: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    since: date | None = None
    until: date | None = None
    search: str | None = None
    every: str = "month"
    metric: str = "count"
    by_region: bool = False
    smooth: int = 1
    table: str = "trends"

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "themes", _strings("themes", self.themes))
        set_(self, "regions", tuple(dict.fromkeys(_region(r) for r in
                                                  _strings("regions", self.regions))))
        set_(self, "countries", tuple(dict.fromkeys(_country(c) for c in
                                                    _strings("countries", self.countries))))
        set_(self, "sources", _strings("sources", self.sources))
        set_(self, "since", parse_date(self.since, "since"))
        set_(self, "until", parse_date(self.until, "until"))
        if self.since and self.until and self.since > self.until:
            raise ViewSpecError(
                f"since {self.since.isoformat()} is after until {self.until.isoformat()}"
                " — the dates are out of order"
            )
        search = self.search
        if search is not None and not isinstance(search, str):
            raise ViewSpecError(f"search: expected text, got {search!r}")
        set_(self, "search", (search.strip() or None) if search is not None else None)
        set_(self, "every", _one_of("every", self.every, EVERY))
        set_(self, "metric", _one_of("metric", self.metric, METRICS))
        set_(self, "table", _one_of("table", self.table, TABLES))
        if not isinstance(self.by_region, bool):
            raise ViewSpecError(f"by_region: expected true or false, got {self.by_region!r}")
        smooth = self.smooth
        if isinstance(smooth, bool) or not isinstance(smooth, int) or not 1 <= smooth <= MAX_SMOOTH:
            raise ViewSpecError(
                f"smooth: expected a whole number of periods from 1 (no smoothing) to "
                f"{MAX_SMOOTH}, got {smooth!r}"
            )

    # -- changing -------------------------------------------------------------------------

    def replace(self, **changes: Any) -> ViewSpec:
        """A copy with some fields changed (validated like a new one)."""
        return dataclasses.replace(self, **changes)

    def cleared(self) -> ViewSpec:
        """The same grouping, metric and table with no filters."""
        return ViewSpec(every=self.every, metric=self.metric, by_region=self.by_region,
                        smooth=self.smooth, table=self.table)

    @property
    def has_filters(self) -> bool:
        return bool(self.themes or self.regions or self.countries or self.sources
                    or self.since or self.until or self.search)

    def check_themes(self, known: Iterable[str]) -> None:
        """Raise `ViewSpecError` for a theme id the database does not know."""
        known = set(known)
        for theme in self.themes:
            if theme not in known:
                raise ViewSpecError(f"unknown theme {theme!r}{did_you_mean(theme, known)}")

    def summary(self) -> str:
        """One line describing the active filters, for headers and status lines."""
        parts = []
        if self.themes:
            parts.append("themes: " + ", ".join(self.themes))
        if self.regions:
            parts.append("regions: " + ", ".join(self.regions))
        if self.countries:
            parts.append("countries: " + ", ".join(self.countries))
        if self.sources:
            parts.append("sources: " + ", ".join(self.sources))
        if self.since or self.until:
            since = self.since.isoformat() if self.since else "…"
            until = self.until.isoformat() if self.until else "…"
            parts.append(f"{since} to {until}")
        if self.search:
            parts.append(f"search: {self.search!r}")
        return "; ".join(parts) if parts else "no filters"

    # -- view files ---------------------------------------------------------------------------

    def to_toml(self) -> str:
        """The view as a hand-editable TOML document (`from_toml` reads it back equal)."""
        lines = ["[filters]"]
        for key in ("themes", "regions", "countries", "sources"):
            values = getattr(self, key)
            if values:
                lines.append(f"{key} = [{', '.join(_toml_str(v) for v in values)}]")
        for key in ("since", "until"):
            value = getattr(self, key)
            if value is not None:
                lines.append(f"{key} = {value.isoformat()}")
        if self.search is not None:
            lines.append(f"search = {_toml_str(self.search)}")
        lines += [
            "",
            "[view]",
            f"every = {_toml_str(self.every)}",
            f"metric = {_toml_str(self.metric)}",
            f"by_region = {'true' if self.by_region else 'false'}",
            f"smooth = {self.smooth}",
            f"table = {_toml_str(self.table)}",
        ]
        return "\n".join(lines) + "\n"

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, origin: str = "view") -> ViewSpec:
        """A view from the parsed TOML tables `[filters]` and `[view]`."""
        unknown_tables = set(data) - {"filters", "view"}
        if unknown_tables:
            raise ViewSpecError(
                f"{origin}: unknown table [{sorted(unknown_tables)[0]}]"
                " (expected [filters] and [view])"
            )
        fields: dict[str, Any] = {}
        for table, keys in (("filters", FILTER_KEYS), ("view", VIEW_KEYS)):
            section = data.get(table, {})
            if not isinstance(section, Mapping):
                raise ViewSpecError(f"{origin}: [{table}] must be a table")
            for key, value in section.items():
                if key not in keys:
                    raise ViewSpecError(
                        f"{origin}: unknown key {key!r} in [{table}]{did_you_mean(key, keys)}"
                        f" (accepted: {', '.join(keys)})"
                    )
                fields[key] = value
        try:
            return cls(**fields)
        except ViewSpecError as exc:
            raise ViewSpecError(f"{origin}: {exc}") from None

    @classmethod
    def from_toml(cls, text: str, *, origin: str = "view") -> ViewSpec:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ViewSpecError(f"{origin}: not valid TOML: {exc}") from None
        return cls.from_mapping(data, origin=origin)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> ViewSpec:
        """Read a view file; every problem is a `ViewSpecError` naming the file."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise ViewSpecError(f"{path}: not a UTF-8 text file") from None
        except OSError as exc:
            raise ViewSpecError(f"{path}: cannot read the view file ({exc.strerror})") from None
        return cls.from_toml(text, origin=str(path))

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the view file atomically (a temporary file renamed over the target)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".view-", suffix=".toml", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(self.to_toml())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path


def _toml_str(value: str) -> str:
    """A TOML basic string (JSON escaping is valid TOML, except DEL, which TOML wants escaped)."""
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
