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

A second copy holds the same pre-aggregates summed by month (`day` is then the first day of
its month), a few dozen times smaller: views by month, quarter or year whose dates, if any,
are whole months get exactly the same sums from it (each article has one day, so sums of
days within a month are sums of the month), at a fraction of the cost. Its counts per theme
also carry the exact sum and the count of their articles' tones, so that tone views of single
themes are sums as well.

It is a snapshot of one import: after new data lands, build a new one.
"""

from __future__ import annotations

import threading
from datetime import date, timedelta

import duckdb

from store import aggregate, facts
from store.viewspec import ViewSpec

COPIED = ("themes", "region_bits", "facts_state", "rollup_state", "day_counts",
          "theme_day_counts", "rollup_day_counts")

# The tables a working set answers: their views are counted from the pre-aggregates alone.
TABLES = ("trends", "spikes", "regions")
DAILY = ("day_counts", "theme_day_counts", "rollup_day_counts")
MONTHLY_EVERY = ("month", "quarter", "year")


# The monthly counts per theme also carry the tone of their articles, as an exact sum and a
# count, so tone views of single themes by month or coarser are sums too (`facts.series_tone`).
# They are counted from the file's `theme_facts` joined to the articles' tone: the same rows and
# counts as the sums of its daily table (tested), for ~60 MB held while they are counted at a
# million articles. Tone by day or week, and a parent theme's tone (whose articles must be told
# apart), go to the file: the daily copy has no tone, and the parents' rollups fail on it.
_MONTHLY_THEME_COUNTS = """
    SELECT f.theme, date_trunc('month', f.day)::DATE AS day, f.regions,
        count(*)::INTEGER AS articles,
        sum(a.tone::DECIMAL(38, 12)) AS tone_sum, count(a.tone)::INTEGER AS tone_n
    FROM theme_facts f JOIN articles a ON a.aid = f.aid
    GROUP BY ALL ORDER BY 1, 2
"""


class WorkingSet:
    """The pre-aggregates of one database state, in memory."""

    def __init__(self, con: duckdb.DuckDBPyConnection, monthly: duckdb.DuckDBPyConnection,
                 import_id: int, rows: int) -> None:
        self._con = con
        self._monthly = monthly
        self._lock = threading.Lock()
        self.import_id = import_id
        self.rows = rows

    @classmethod
    def load(cls, con: duckdb.DuckDBPyConnection) -> WorkingSet | None:
        """Copy the pre-aggregates of the file open on `con`; None when they are not current
        (the views then go to the file, which knows how to count without them)."""
        if not facts.current(con):
            return None
        mem, monthly = _compressed_memory(), _compressed_memory()
        try:
            rows = 0
            for table in COPIED:
                rows += _copy(con, mem, table, f"SELECT * FROM {table}")
            _copy(con, mem, "imports", "SELECT import_id FROM imports")
            _copy(con, mem, "article_themes", "SELECT DISTINCT theme FROM article_themes")
            _copy(con, mem, "article_regions", "SELECT DISTINCT region FROM article_regions")
            for table in (*COPIED, "imports", "article_themes", "article_regions"):
                if table == "theme_day_counts":  # with tone sums, from the file
                    _copy(con, monthly, table, _MONTHLY_THEME_COUNTS)
                    continue
                if table in DAILY:
                    keys = "day, regions" if table == "day_counts" else "theme, day, regions"
                    query = (f"SELECT {_month_columns(table)} FROM {table} GROUP BY ALL"
                             f" ORDER BY {keys}")
                else:
                    query = f"SELECT * FROM {table}"
                _copy(mem, monthly, table, query)
            import_id = int(mem.sql("SELECT coalesce(max(import_id), 0) FROM facts_state")
                            .fetchall()[0][0])
            for copy in (mem, monthly):
                copy.execute(f"CHECKPOINT {CATALOG}")  # compresses the tables
        except BaseException:
            mem.close()
            monthly.close()
            raise
        return cls(mem, monthly, import_id, rows)

    @staticmethod
    def covers(spec: ViewSpec) -> bool:
        """Whether the view's numbers come from the pre-aggregates alone: no source, country or
        text filter (these need per-article rows), and tone only from the monthly copy (where
        a parent theme's tone still fails, and goes to the file)."""
        return (
            spec.table in TABLES
            and not spec.sources
            and facts.supports(countries=spec.countries, search=spec.search)
            and (spec.metric != "tone" or WorkingSet.monthly(spec))
        )

    @staticmethod
    def monthly(spec: ViewSpec) -> bool:
        """Whether the monthly copy answers the view: by month or coarser, and its dates (if
        any) are whole months."""
        every = "year" if spec.table == "regions" else spec.every  # regions: the whole range
        return every in MONTHLY_EVERY and month_aligned(spec.since, spec.until)

    def cursor(self, spec: ViewSpec | None = None) -> duckdb.DuckDBPyConnection:
        """A connection of its own (one per thread) to the copy that answers `spec` (the daily
        one when no view is given), for `store.aggregate`."""
        with self._lock:
            source = self._monthly if spec is not None and self.monthly(spec) else self._con
            cur = source.cursor()
        cur.execute(f"USE {CATALOG}")
        aggregate.trust_facts(cur)
        if source is self._monthly:
            facts.mark_tone_sums(cur)
        return cur

    def close(self) -> None:
        """Free the copies."""
        with self._lock:
            self._con.close()
            self._monthly.close()


CATALOG = "working_set"


def _compressed_memory() -> duckdb.DuckDBPyConnection:
    """An in-memory database whose tables are compressed as a file's are (at a checkpoint):
    the daily copy at a million articles holds ~4 MB instead of ~48 MB, and sums as fast."""
    con = duckdb.connect(":memory:")
    con.execute(f"ATTACH ':memory:' AS {CATALOG} (COMPRESS)")
    con.execute(f"USE {CATALOG}")
    return con


def _month_columns(table: str) -> str:
    theme = "theme, " if table != "day_counts" else ""
    return (f"{theme}date_trunc('month', day)::DATE AS day, regions,"
            f" sum(articles)::INTEGER AS articles")


def month_aligned(first: date | None, last: date | None) -> bool:
    """True when `first` starts a month and `last` ends one (None counts as aligned)."""
    return (first is None or first.day == 1) and (
        last is None or (last + timedelta(days=1)).day == 1)


def _copy(src: duckdb.DuckDBPyConnection, dest: duckdb.DuckDBPyConnection, table: str,
          query: str) -> int:
    data = src.sql(query).to_arrow_table()
    dest.register("_working_set_source", data)
    try:
        dest.execute(f"CREATE TABLE {table} AS SELECT * FROM _working_set_source")
    finally:
        dest.unregister("_working_set_source")
    return int(data.num_rows)
