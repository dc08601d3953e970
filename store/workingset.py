"""An in-memory copy of the store's daily pre-aggregates, for a session that asks many views.

A dashboard asks a new view at every key press. Read from the file, each view pays for opening
it (the store holds no file open between loads, DESIGN §4) and for reading cold blocks again,
some 50–70 ms per million articles before the query itself runs. The views of the Trends and
Regions tabs need only the daily pre-aggregates of `store/facts.py` (`day_counts`,
`theme_day_counts`, `rollup_day_counts`), which are a fraction of the articles; copied once
into an in-memory DuckDB database they answer those views with no file open and a warm cache,
through the very same queries (`store/aggregate.py` cannot tell the copy from the file).

The copy holds exactly: the pre-aggregates and what their queries consult (`themes`,
`region_bits`, `facts_state`, `rollup_state`, the import ids), and the distinct themes and
regions that occur on articles (as one-column `article_themes` and `article_regions`). It
holds no per-article row: a query that needs one fails on the copy (the caller then asks the
file) instead of answering wrongly. `covers()` says which views it answers; a test compares
every table it answers with the file's.

It is a snapshot of one import: after new data lands, build a new one.
"""

from __future__ import annotations

import threading

import duckdb

from store import aggregate, facts
from store.viewspec import ViewSpec

COPIED = ("themes", "region_bits", "facts_state", "rollup_state", "day_counts",
          "theme_day_counts", "rollup_day_counts")

# The tables a working set answers: their views are counted from the pre-aggregates alone.
TABLES = ("trends", "spikes", "regions")


class WorkingSet:
    """The pre-aggregates of one database state, in memory."""

    def __init__(self, con: duckdb.DuckDBPyConnection, import_id: int, rows: int) -> None:
        self._con = con
        self._lock = threading.Lock()
        self.import_id = import_id
        self.rows = rows

    @classmethod
    def load(cls, con: duckdb.DuckDBPyConnection) -> WorkingSet | None:
        """Copy the pre-aggregates of the file open on `con`; None when they are not current
        (the views then go to the file, which knows how to count without them)."""
        if not facts.current(con):
            return None
        mem = duckdb.connect(":memory:")
        try:
            mem.execute("SET enable_progress_bar = false")
            rows = 0
            for table in COPIED:
                rows += _copy(con, mem, table, f"SELECT * FROM {table}")
            _copy(con, mem, "imports", "SELECT import_id FROM imports")
            _copy(con, mem, "article_themes", "SELECT DISTINCT theme FROM article_themes")
            _copy(con, mem, "article_regions", "SELECT DISTINCT region FROM article_regions")
            import_id = int(mem.sql("SELECT coalesce(max(import_id), 0) FROM facts_state")
                            .fetchall()[0][0])
        except BaseException:
            mem.close()
            raise
        return cls(mem, import_id, rows)

    @staticmethod
    def covers(spec: ViewSpec) -> bool:
        """Whether the view's numbers come from the pre-aggregates alone: no source, country or
        text filter, no tone (these need per-article rows)."""
        return (
            spec.table in TABLES
            and not spec.sources
            and facts.supports(countries=spec.countries, search=spec.search)
            and spec.metric != "tone"
        )

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A connection of its own to the copy (one per thread), for `store.aggregate`."""
        with self._lock:
            cur = self._con.cursor()
        aggregate.trust_facts(cur)
        return cur

    def close(self) -> None:
        """Free the copy."""
        with self._lock:
            self._con.close()


def _copy(src: duckdb.DuckDBPyConnection, dest: duckdb.DuckDBPyConnection, table: str,
          query: str) -> int:
    data = src.sql(query).to_arrow_table()
    dest.register("_working_set_source", data)
    try:
        dest.execute(f"CREATE TABLE {table} AS SELECT * FROM _working_set_source")
    finally:
        dest.unregister("_working_set_source")
    return int(data.num_rows)
