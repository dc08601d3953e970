"""Parquet files (canonical columns, or any with a `--mapping`) → canonical articles.

The file is read by DuckDB's `read_parquet`, converted by the same query as CSV
(importers/mapping.py) and staged in one parallel query of the staging database
(`Staging.add_query`); when that does not fit (country code lookups, a file DuckDB cannot read),
row groups are read in batches with pyarrow and converted batch by batch. Typed columns
(timestamps, dates, lists, numbers) are used as they are.
A record's "line" is its row number in the file, counted from 1.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from importers.base import BATCH_ROWS, ImportFormatError, OnDuplicate, ReadOptions
from importers.csv_table import stage_converted
from importers.mapping import Converter, from_options, resolve_columns
from store.load import Staging

FORMAT = "parquet"
ON_DUPLICATE: OnDuplicate = "last"
MAGIC = b"PAR1"


def sniff(head: bytes) -> bool:
    """True when the file starts with the Parquet magic bytes."""
    return head.startswith(MAGIC)


def _is_text(typ: pa.DataType) -> bool:
    return pa.types.is_string(typ) or pa.types.is_large_string(typ)


def _is_scalar(typ: pa.DataType) -> bool:
    """Text, or a number or boolean (taken as its text, as in JSON Lines)."""
    return _is_text(typ) or pa.types.is_integer(typ) or pa.types.is_floating(typ) \
        or pa.types.is_boolean(typ) or pa.types.is_decimal(typ)


def _check_types(schema: pa.Schema, chosen: dict[str, str], path: Path) -> None:
    """Refuse a file whose column for a field has a type that cannot hold that field."""
    for name, column in chosen.items():
        typ = schema.field(column).type
        if name == "published":
            ok = _is_text(typ) or pa.types.is_timestamp(typ) or pa.types.is_date(typ)
            expected = "a timestamp, a date or text"
        elif name == "tone":
            ok = _is_text(typ) or pa.types.is_integer(typ) or pa.types.is_floating(typ) \
                or pa.types.is_decimal(typ)
            expected = "a number or text"
        elif name in ("themes", "countries", "regions"):
            is_list = pa.types.is_list(typ) or pa.types.is_large_list(typ)
            ok = _is_text(typ) or (is_list and _is_text(typ.value_type))
            expected = "a list of strings or text with separators"
        else:
            ok = _is_scalar(typ)
            expected = "text"
        if not ok:
            label = f"column {column!r}" + (f" (for {name!r})" if column != name else "")
            raise ImportFormatError(f"{path}: {label} holds {typ}; expected {expected}")


def read(path: Path, staging: Staging, file_no: int, options: ReadOptions) -> None:
    """Stream a Parquet file into `staging`; rows with problems become rejects by row number."""
    path = Path(path)
    name = staging.files[file_no].path if file_no < len(staging.files) else str(path)
    try:
        pf = pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise ImportFormatError(f"{path}: not a readable Parquet file ({exc})") from exc
    schema = pf.schema_arrow
    mapping = from_options(options.mapping, options.mapping_path)
    chosen = resolve_columns(schema.names, mapping, path)
    wanted = sorted(set(chosen.values()), key=schema.names.index)
    _check_types(schema, chosen, path)
    fields = [schema.field(c) for c in wanted] + [pa.field("line", pa.int64())]
    converter = Converter(mapping, chosen, pa.schema(fields))
    row = 1
    try:
        theme = options.theme.strip() if options.theme else ""
        source = converter.query_source("read_parquet($path)", theme or None)
        params: dict[str, object] = {"path": str(path)}
        if theme:
            params["theme"] = theme
        if source is not None and staging.add_query(
            source, params, file_no, pf.metadata.num_rows
        ):
            return
        for batch in pf.iter_batches(batch_size=BATCH_ROWS, columns=wanted):
            n = batch.num_rows
            table = pa.Table.from_batches([batch]).append_column(
                "line", pa.array(np.arange(row, row + n, dtype=np.int64))
            )
            row += n
            if not stage_converted(converter.convert(table), staging, file_no, name, options):
                return
    except (pa.ArrowInvalid, OSError) as exc:
        raise ImportFormatError(f"{path}: damaged Parquet data near row {row} ({exc})") from exc
    finally:
        converter.close()
