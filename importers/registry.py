"""Format names → readers, and the detection of a file's format from its content."""

from __future__ import annotations

import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from importers import csv_table, gdelt_doc, gdelt_gkg, jsonl, parquet
from importers.base import ImportFormatError, OnDuplicate, Reader
from importers.lines import read_head


@dataclass(frozen=True)
class Format:
    """One importable format: its name, reader, duplicate rule and usual file name endings."""

    name: str
    reader: Reader
    on_duplicate: OnDuplicate
    suffixes: tuple[str, ...]
    description: str


FORMATS: dict[str, Format] = {
    "jsonl": Format("jsonl", jsonl.read, jsonl.ON_DUPLICATE,
                    (".jsonl", ".ndjson", ".json", ".jsonl.gz", ".ndjson.gz", ".json.gz"),
                    "canonical JSON Lines, one article per line"),
    "csv": Format("csv", csv_table.read, csv_table.ON_DUPLICATE, (".csv", ".csv.gz"),
                  "comma-separated table with a header"),
    "tsv": Format("tsv", csv_table.read_tsv, csv_table.ON_DUPLICATE,
                  (".tsv", ".tab", ".tsv.gz"), "tab-separated table with a header"),
    "parquet": Format("parquet", parquet.read, parquet.ON_DUPLICATE, (".parquet", ".pq"),
                      "Parquet table"),
    "gdelt-gkg": Format("gdelt-gkg", gdelt_gkg.read, gdelt_gkg.ON_DUPLICATE,
                        (".gkg.csv", ".csv", ".tsv", ".txt"),
                        "GDELT GKG 2.1 (27 columns) or 1.0 (11 columns), no header"),
    "gdelt-doc": Format("gdelt-doc", gdelt_doc.read, gdelt_doc.ON_DUPLICATE, (".csv",),
                        "GDELT DOC 2.0 article list (header country1,country2,sourceCountry,...)"),
}
FORMAT_NAMES = tuple(FORMATS)


def get(name: str) -> Format:
    """The format called `name`."""
    try:
        return FORMATS[name]
    except KeyError:
        raise ImportFormatError(
            f"unknown format {name!r} (known: {', '.join(FORMAT_NAMES)})"
        ) from None


def _looks_like_jsonl(head: bytes) -> bool:
    for line in head.removeprefix(b"\xef\xbb\xbf").split(b"\n"):
        stripped = line.strip()
        if stripped:
            return stripped.startswith(b"{")
    return False


def detect_head(head: bytes) -> str | None:
    """The format name the first bytes of a (decompressed) file show, or None."""
    if parquet.sniff(head):
        return "parquet"
    if _looks_like_jsonl(head):
        return "jsonl"
    if gdelt_gkg.sniff(head):
        return "gdelt-gkg"
    if gdelt_doc.sniff(head):
        return "gdelt-doc"
    delimiter = csv_table.sniff_delimiter(head)
    if delimiter == "\t":
        return "tsv"
    if delimiter == ",":
        return "csv"
    return None


def detect(path: Path) -> str:
    """The format of a file, judged by its content; an undecidable file is an error naming it."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            magic = fh.read(4)
    except OSError as exc:
        raise ImportFormatError(f"{path}: cannot be read ({exc.strerror})") from exc
    if parquet.sniff(magic):
        return "parquet"
    if magic.startswith(b"PK") and zipfile.is_zipfile(path):
        found = _detect_zip(path)
    else:
        found = detect_head(read_head(path))
    if found is None:
        raise ImportFormatError(
            f"{path}: cannot tell the format from the content; give --format, one of: "
            + "; ".join(f"{f.name} ({f.description})" for f in FORMATS.values())
        )
    return found


def _detect_zip(path: Path) -> str | None:
    """A .zip archive of one GKG file (how GDELT publishes them) is GKG; nothing else is read."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.infolist() if not m.is_dir()]
            if len(members) != 1:
                return None
            with archive.open(members[0]) as fh:
                head = fh.read(64 * 1024)
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error):
        return None
    return "gdelt-gkg" if gdelt_gkg.sniff(head) else None


def matches_suffix(path: Path, fmt: str) -> bool:
    """True when the file name ends like files of that format usually do."""
    name = path.name.lower()
    return any(name.endswith(s) for s in FORMATS[fmt].suffixes)
