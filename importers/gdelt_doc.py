"""GDELT DOC 2.0 article lists (CSV with a `country1,country2,sourceCountry,...` header) → articles.

The DOC API returns at most a few hundred articles per query, so these files are small and many;
Python's csv module reads them line by line (it knows each record's physical line and keeps
the fields that unquoted commas in URLs split apart, which is what the repair needs), and the
conversion of each batch (dates, FIPS → ISO, languages) is done on whole columns in Polars.
One article per URL: the same URL under several country pairs or files is merged by the store
(ON_DUPLICATE = 'union' unions countries and themes).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from importers.base import BATCH_ROWS, ImportFormatError, OnDuplicate, ReadOptions
from importers.fips import country_to_iso2, fips_mapping
from importers.gdelt_gkg import CodeReport, ThemeMapping, theme_mapping
from importers.languages import to_iso639_1
from importers.lines import open_maybe_gzip
from store.load import Staging
from store.records import Reject
from store.taxonomy import load_region_map

FORMAT = "gdelt-doc"
ON_DUPLICATE: OnDuplicate = "union"

HEADER = (
    "country1", "country2", "sourceCountry", "year", "month", "day", "domain", "title", "url",
    "social_image", "language", "query",
)
_REQUIRED = HEADER[:9]
_URL = re.compile(r"^https?://", re.IGNORECASE)


def sniff(head: bytes) -> bool:
    """True when the file starts with the DOC article-list header (`country1,country2,...,url`)."""
    text = head.removeprefix(b"\xef\xbb\xbf").split(b"\n", 1)[0].decode("utf-8", "replace")
    names = [n.strip().strip('"').lower() for n in text.rstrip("\r").split(",")]
    return names[: len(_REQUIRED)] == [n.lower() for n in _REQUIRED]


@dataclass(frozen=True)
class Layout:
    """Where the columns are in one file's header, and how many follow the social image."""

    width: int
    index: dict[str, int]
    title: int
    url: int
    social: int | None  # the social image column right after url, when the file has it
    tail: int  # number of columns after url (or after social_image)


def _layout(header: list[str], path: Path) -> Layout:
    names = [h.strip().lower() for h in header]
    missing = [n for n in _REQUIRED if n.lower() not in names]
    if missing:
        raise ImportFormatError(
            f"{path}:1: not a GDELT DOC article list: header lacks {', '.join(missing)} "
            f"(expected {','.join(HEADER)})"
        )
    index = {n: names.index(n.lower()) for n in HEADER if n.lower() in names}
    title, url = index["title"], index["url"]
    if url != title + 1:
        raise ImportFormatError(f"{path}:1: expected the url column right after title")
    social = url + 1 if index.get("social_image") == url + 1 else None
    last = social if social is not None else url
    return Layout(
        width=len(names), index=index, title=title, url=url, social=social,
        tail=len(names) - last - 1,
    )


def repair(fields: list[str], layout: Layout) -> list[str] | None:
    """Rejoin a row split by unquoted commas in its title, URL or image URL, if one way fits.

    The fields before the title and the `tail` fields at the end are where they should be; the
    surplus lies between. The url must start with http(s)://, the social image too (or be empty).
    """
    head = fields[: layout.title]
    tail = fields[len(fields) - layout.tail:] if layout.tail else []
    middle = fields[layout.title: len(fields) - layout.tail]
    parts = 3 if layout.social is not None else 2
    fits: list[list[str]] = []
    for a in range(1, len(middle) - parts + 2):
        if not _URL.match(middle[a]):
            continue
        if parts == 2:
            fits.append([",".join(middle[:a]), ",".join(middle[a:])])
            continue
        for b in range(a + 1, len(middle)):
            social = ",".join(middle[b:])
            if social == "" or _URL.match(social):
                fits.append([",".join(middle[:a]), ",".join(middle[a:b]), social])
    if len(fits) != 1:
        return None
    return head + fits[0] + tail


@dataclass
class DocReport(CodeReport):
    """What a DOC read repaired or left out without rejecting."""

    repaired: list[int] = field(default_factory=list)
    bad_source_country: dict[str, int] = field(default_factory=dict)

    def describe(self) -> str | None:
        parts = []
        if self.repaired:
            lines = ", ".join(str(n) for n in self.repaired[:10])
            more = ", ..." if len(self.repaired) > 10 else ""
            parts.append(
                f"{len(self.repaired):,} lines split by unquoted commas in URLs were repaired "
                f"(lines {lines}{more})"
            )
        codes = super().describe()
        if codes:
            parts.append(codes)
        if self.bad_source_country:
            parts.append(
                "sourceCountry values with no ISO 3166-1 code in the region map left empty: "
                + ", ".join(f"{k} ×{v:,}" for k, v in sorted(self.bad_source_country.items()))
            )
        return "; ".join(parts) if parts else None


def _rows(path: Path, layout_out: list[Layout]) -> Iterator[tuple[int, list[str]]]:
    """(physical line where the record starts, fields) for every record after the header."""
    try:
        fh = io.TextIOWrapper(open_maybe_gzip(path), encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise ImportFormatError(f"{path}: cannot be read ({exc})") from exc
    with fh:
        reader = csv.reader(fh, strict=False)
        start = 1
        try:
            for fields in reader:
                line, start = start, reader.line_num + 1
                if not layout_out:
                    layout_out.append(_layout(fields, path))
                    continue
                if not fields or fields == [""]:
                    continue
                yield line, fields
        except UnicodeDecodeError as exc:
            raise ImportFormatError(f"{path}:{_first_bad_utf8_line(path)}: not UTF-8 text") \
                from exc
        except csv.Error as exc:
            raise ImportFormatError(f"{path}:{start}: unreadable CSV ({exc})") from exc
        except OSError as exc:
            raise ImportFormatError(f"{path}: cannot be read ({exc})") from exc


def _first_bad_utf8_line(path: Path) -> int | None:
    """The physical line holding the first byte sequence that is not UTF-8."""
    with open_maybe_gzip(path) as fh:
        for number, raw in enumerate(fh, start=1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                return number
    return None


def theme_for(path: Path, options: ReadOptions, mapping: ThemeMapping | None) -> list[str]:
    """The themes of every article of a file: --theme, else the folder's name (mapped if asked)."""
    if options.theme and options.theme.strip():
        return [options.theme.strip()]
    folder = path.resolve().parent.name
    if mapping is None:
        return [folder] if folder else []
    if folder in mapping.exact:
        return list(mapping.exact[folder])
    for prefix, targets in mapping.prefixes:
        if folder.startswith(prefix):
            return list(targets)
    return [folder] if mapping.keep_unmapped and folder else []


def read(path: Path, staging: Staging, file_no: int, options: ReadOptions) -> None:
    """Stream one DOC article list into `staging`; broken lines are repaired or rejected."""
    report = read_with_report(path, staging, file_no, options)
    note = report.describe()
    if note is not None:
        staging.note(note, file_no)


def read_with_report(
    path: Path, staging: Staging, file_no: int, options: ReadOptions
) -> DocReport:
    """`read`, returning what was repaired and left out along the way."""
    path = Path(path)
    name = staging.files[file_no].path if file_no < len(staging.files) else str(path)
    mapping = theme_mapping(options) if options.mapping is not None else None
    themes = theme_for(path, options, mapping)
    report = DocReport()
    layouts: list[Layout] = []
    batch: list[tuple[int, list[str]]] = []
    for line, fields in _rows(path, layouts):
        layout = layouts[0]
        if any("\x00" in f for f in fields):
            column = next(
                (n for n, i in layout.index.items() if i < len(fields) and "\x00" in fields[i]),
                "a field")
            staging.reject(Reject(name, line, f"{column!r} holds a NUL character (\\u0000)"),
                           file_no)
            if options.strict:
                return report
            continue
        if len(fields) != layout.width:
            fixed = repair(fields, layout) if len(fields) > layout.width else None
            if fixed is None:
                reason = (
                    f"{len(fields)} fields where the header has {layout.width}"
                    + (" (commas outside quotes that cannot be told apart)"
                       if len(fields) > layout.width else "")
                )
                staging.reject(Reject(name, line, reason), file_no)
                if options.strict:
                    return report
                continue
            report.repaired.append(line)
            fields = fixed
        if options.strict and not _valid_date(fields, layouts[0]):
            # In strict mode the first bad record must be the one reported, so check it now.
            y, m, d = (fields[layouts[0].index[k]] for k in ("year", "month", "day"))
            staging.reject(
                Reject(name, line, f"bad date year={y!r} month={m!r} day={d!r}"), file_no
            )
            return report
        batch.append((line, fields))
        if len(batch) >= BATCH_ROWS:
            if not _flush(batch, layouts[0], themes, staging, file_no, name, options, report):
                return report
            batch = []
    if not layouts:
        raise ImportFormatError(f"{path}: empty file (expected a GDELT DOC header)")
    if batch:
        _flush(batch, layouts[0], themes, staging, file_no, name, options, report)
    return report


def _valid_date(fields: list[str], layout: Layout) -> bool:
    try:
        dt.date(*(int(fields[layout.index[k]].strip()) for k in ("year", "month", "day")))
    except ValueError:
        return False
    return True


def _flush(
    batch: list[tuple[int, list[str]]],
    layout: Layout,
    themes: list[str],
    staging: Staging,
    file_no: int,
    name: str,
    options: ReadOptions,
    report: DocReport,
) -> bool:
    """Convert and stage one batch; False when --strict met a bad record."""
    cols = {key: [row[i] for _, row in batch] for key, i in layout.index.items()}
    frame = pl.DataFrame(
        {"line": [line for line, _ in batch], **cols},
        schema={"line": pl.Int64, **dict.fromkeys(cols, pl.String)},
    )
    known = load_region_map()["country"].to_list()
    fips_map = fips_mapping()
    day = pl.concat_str(
        [pl.col(c).str.strip_chars().str.zfill(2) for c in ("year", "month", "day")],
        separator="-",
    ).str.to_date("%Y-%m-%d", strict=False)
    pair = pl.concat_list(
        [pl.col(c).str.strip_chars().str.to_uppercase() for c in ("country1", "country2")]
    ).list.eval(pl.element().filter(pl.element() != ""))
    frame = frame.with_columns(
        published=day.cast(pl.Datetime("us")).dt.replace_time_zone("UTC"),
        fips=pair,
        iso=pair.list.eval(pl.element().replace_strict(fips_map, default=None)),
    )
    frame = frame.with_columns(
        countries=pl.col("iso").list.eval(
            pl.element().filter(pl.element().is_in(known))
        ).list.unique(maintain_order=True),
    )
    bad = frame.filter(pl.col("published").is_null())
    for line, y, m, d in bad.select("line", "year", "month", "day").iter_rows():
        staging.reject(
            Reject(name, line, f"bad date year={y!r} month={m!r} day={d!r}"), file_no
        )
        if options.strict:
            return False
    frame = frame.filter(pl.col("published").is_not_null())
    _count_codes(frame, known, report)
    source_country = _source_countries(frame, known, report)
    language = (
        _map_unique(frame["language"], to_iso639_1)
        if "language" in frame.columns else pl.Series([None] * frame.height, dtype=pl.String)
    )
    out = pl.DataFrame(
        {
            "url": frame["url"].str.strip_chars().replace("", None),
            "title": frame["title"],
            "source": frame["domain"].str.strip_chars().replace("", None),
            "published": frame["published"],
            "themes": pl.Series([themes] * frame.height, dtype=pl.List(pl.String)),
            "countries": frame["countries"],
            "source_country": source_country,
            "language": language,
            "line": frame["line"],
        }
    )
    if out.height:
        staging.add(out, file_no)
    return True


def _count_codes(frame: pl.DataFrame, known: list[str], report: DocReport) -> None:
    codes = frame.select(pl.col("fips").explode(), pl.col("iso").explode()).drop_nulls("fips")
    no_iso = codes.filter(pl.col("iso").is_null())["fips"].value_counts()
    for code, n in no_iso.iter_rows():
        report.no_iso[code] = report.no_iso.get(code, 0) + n
    unknown = codes.filter(pl.col("iso").is_not_null() & ~pl.col("iso").is_in(known))
    for code, n in unknown["iso"].value_counts().iter_rows():
        report.unknown_iso[code] = report.unknown_iso.get(code, 0) + n


def _map_unique(series: pl.Series, convert: Callable[[str], str | None]) -> pl.Series:
    """Apply a Python conversion once per distinct value of a text column."""
    stripped = series.str.strip_chars()
    lookup = {v: convert(v) for v in stripped.unique().drop_nulls().to_list()}
    return stripped.replace_strict(lookup, default=None, return_dtype=pl.String)


def _source_countries(frame: pl.DataFrame, known: list[str], report: DocReport) -> pl.Series:
    raw = frame["sourceCountry"].str.strip_chars()
    iso = _map_unique(raw, country_to_iso2)
    usable = iso.is_in(known)
    lost = raw.filter(~usable & (raw != "")).value_counts()
    for value, n in lost.iter_rows():
        report.bad_source_country[value] = report.bad_source_country.get(value, 0) + n
    return pl.select(pl.when(usable).then(iso)).to_series()
