"""What every benchmark script shares: timing, cached corpora, peak memory, and docs/benchmarks.md.

The contract between `bench/run.py` and the per-feature scripts (`bench/bench_*.py`):

- a script runs on its own (`uv run --group bench python bench/bench_x.py`) and from `run.py`,
  which starts it as a subprocess with `--db PATH` (a cached corpus built by `corpus()`; scripts
  that need no corpus ignore it), `--runs N` and, for the smoke run, `--quick`;
- it times with `time_runs()` (median and spread over several runs after a warm-up) against a
  baseline run in the same process;
- it writes its results with `write_section(name, markdown, command=...)`, which replaces only
  the text between its own markers in docs/benchmarks.md, under a file lock, so scripts running one
  after another (or at once) never clobber each other.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import platform
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH_DIR = ROOT / "bench"
DEFAULT_CACHE = BENCH_DIR / ".cache"
DEFAULT_OUT = ROOT / "docs" / "benchmarks.md"
DEFAULT_SEED = 7

# Files whose content defines the generated corpus; a change to any of them invalidates the cache.
GENERATOR_FILES = (
    "importers/demo.py",
    "tui/commands/sample.py",
    "sample_data/themes.toml",
    "sample_data/regions.csv",
)

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def cache_dir() -> Path:
    """Where corpora and intermediate results are kept: $SOFTPOWER_BENCH_CACHE or bench/.cache."""
    return Path(os.environ.get("SOFTPOWER_BENCH_CACHE") or DEFAULT_CACHE)


def benchmarks_md() -> Path:
    """The results document: $SOFTPOWER_BENCH_OUT or docs/benchmarks.md."""
    return Path(os.environ.get("SOFTPOWER_BENCH_OUT") or DEFAULT_OUT)


# -- sizes -----------------------------------------------------------------------------------------

_SUFFIX = {"": 1, "k": 1_000, "m": 1_000_000}


def parse_size(text: str) -> int:
    """'100k' → 100000, '1m' → 1000000, '2500' → 2500."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kKmM]?)\s*", text)
    if not match:
        raise ValueError(f"not a corpus size: {text!r} (examples: 2000, 100k, 1m, 10m)")
    value = float(match.group(1)) * _SUFFIX[match.group(2).lower()]
    if value < 1 or value != int(value):
        raise ValueError(f"not a corpus size: {text!r}")
    return int(value)


def size_label(n: int) -> str:
    """1000000 → '1M', 100000 → '100k', 2500 → '2.5k'."""
    for unit, suffix in ((1_000_000, "M"), (1_000, "k")):
        if n >= unit:
            value = n / unit
            return f"{value:g}{suffix}"
    return str(n)


# -- timing ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Timing:
    """Wall-clock seconds of repeated runs of one thing."""

    seconds: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def low(self) -> float:
        return min(self.seconds)

    @property
    def high(self) -> float:
        return max(self.seconds)

    @property
    def runs(self) -> int:
        return len(self.seconds)

    def text(self, unit: str | None = None) -> str:
        """'45.2 ms (42.0–49.1, n=7)': the median, then the range of the runs."""
        return timing_text(self.to_dict(), unit)

    def to_dict(self) -> dict[str, float | int]:
        return {"median": self.median, "low": self.low, "high": self.high, "runs": self.runs}


def timing_text(figure: dict[str, float], unit: str | None = None) -> str:
    """A saved `Timing.to_dict()` as '45.2 ms (42.0–49.1, n=7)' (just the median for one run)."""
    unit = unit or pick_unit(figure["median"])
    if int(figure.get("runs", 1)) <= 1:
        return fmt_seconds(figure["median"], unit)
    return (
        f"{fmt_seconds(figure['median'], unit)} "
        f"({fmt_number(figure['low'], unit)}–{fmt_number(figure['high'], unit)}, "
        f"n={int(figure['runs'])})"
    )


_UNITS = {"s": 1.0, "ms": 1e3, "µs": 1e6}


def pick_unit(seconds: float) -> str:
    """The unit a duration reads best in."""
    if seconds >= 1:
        return "s"
    if seconds >= 1e-3:
        return "ms"
    return "µs"


def fmt_number(seconds: float, unit: str) -> str:
    value = seconds * _UNITS[unit]
    return f"{value:.0f}" if value >= 100 else f"{value:.1f}" if value >= 10 else f"{value:.2f}"


def fmt_seconds(seconds: float, unit: str | None = None) -> str:
    """A duration with its unit: '45.2 ms', '1.31 s'."""
    unit = unit or pick_unit(seconds)
    return f"{fmt_number(seconds, unit)} {unit}"


def fmt_bytes(n: float) -> str:
    """Bytes as MB or GB (decimal)."""
    return f"{n / 1e9:.2f} GB" if n >= 1e9 else f"{n / 1e6:.0f} MB"


def time_runs(fn: Callable[[], object], *, runs: int = 5, warmup: int = 1) -> Timing:
    """Call `fn` `warmup` times untimed, then `runs` times timed."""
    for _ in range(warmup):
        fn()
    seconds = []
    for _ in range(max(1, runs)):
        start = time.perf_counter()
        fn()
        seconds.append(time.perf_counter() - start)
    return Timing(tuple(seconds))


def ratio(ours: Timing | float, baseline: Timing | float) -> float:
    """Our median over the baseline's median."""
    a = ours.median if isinstance(ours, Timing) else ours
    b = baseline.median if isinstance(baseline, Timing) else baseline
    return a / b if b else float("inf")


# -- memory of processes ---------------------------------------------------------------------------


@dataclass
class ProcessRun:
    """One finished subprocess: its exit code, wall time, peak resident memory and output."""

    returncode: int
    seconds: float
    peak_rss: int  # bytes; the high-water mark of the process (and its waited-for children)
    stdout: str
    stderr: str

    def check(self, what: str) -> ProcessRun:
        """Raise with the tail of stderr when the process failed."""
        if self.returncode != 0:
            tail = "\n".join(self.stderr.strip().splitlines()[-15:])
            raise RuntimeError(f"{what} exited with {self.returncode}:\n{tail}")
        return self


def run_measured(
    cmd: Sequence[str],
    *,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float | None = None,
    poll: float = 0.01,
) -> ProcessRun:
    """Run `cmd`, returning its wall time and its own peak resident memory.

    The peak is the child's VmHWM, sampled every `poll` seconds until it exits: wait4's
    ru_maxrss cannot be used, because the kernel carries into it the high-water mark of the
    forked copy of this (possibly large) process from before the exec.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        # Popen returns once the child has exec'd, so every sample is of the new program.
        proc = subprocess.Popen(
            list(cmd), stdout=out, stderr=err, env=env, cwd=cwd or ROOT, start_new_session=True
        )
        deadline = None if timeout is None else start + timeout
        peak = 0
        while True:
            peak = max(peak, _status_field("VmHWM", proc.pid))
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if deadline and time.perf_counter() > deadline:
                os.killpg(proc.pid, 9)
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(poll)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return ProcessRun(
            returncode=proc.returncode,
            seconds=seconds,
            peak_rss=peak or int(usage.ru_maxrss) * 1024,  # ru_maxrss: kilobytes, an upper bound
            stdout=out.read().decode("utf-8", "replace"),
            stderr=err.read().decode("utf-8", "replace"),
        )


def _status_field(name: str, pid: int | str = "self") -> int:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    match = re.search(rf"^{name}:\s+(\d+)\s+kB", text, re.MULTILINE)
    return int(match.group(1)) * 1024 if match else 0


def rss_now(pid: int | str = "self") -> int:
    """Current resident memory of a process, in bytes (0 where /proc is unavailable)."""
    return _status_field("VmRSS", pid)


def rss_peak(pid: int | str = "self") -> int:
    """Peak resident memory of a process so far, in bytes."""
    peak = _status_field("VmHWM", pid)
    if not peak and pid == "self":
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return peak


# -- corpora ---------------------------------------------------------------------------------------


def generator_version() -> str:
    """A short hash of the generator's source and reference data: part of every cache key."""
    digest = hashlib.sha256()
    for rel in GENERATOR_FILES:
        path = ROOT / rel
        digest.update(rel.encode())
        digest.update(path.read_bytes() if path.exists() else b"<absent>")
    return digest.hexdigest()[:10]


# pandas is a benchmark-only dependency (the baselines); pyarrow imports it whenever it is
# installed, which costs a second per process. Timed processes hide it, as users have it.
HIDE_PANDAS = """import sys, importlib.machinery
class _HidePandas:
    def find_spec(self, name, path=None, target=None):
        if name.partition('.')[0] == 'pandas':
            return importlib.machinery.ModuleSpec(name, self)
        return None
    def create_module(self, spec):
        return None
    def exec_module(self, module):
        raise ImportError('pandas is hidden from the timed process')
sys.meta_path.insert(0, _HidePandas())
"""


def hide_pandas() -> None:
    """Make `import pandas` fail in this process (before anything imports it)."""
    exec(HIDE_PANDAS, {})


def softpower_cmd() -> list[str]:
    """How to start the `softpower-tui` command of this checkout (without pandas)."""
    return [sys.executable, "-c",
            HIDE_PANDAS + "sys.argv[0] = 'softpower-tui'\nfrom tui.cli import main\nmain()"]


@contextlib.contextmanager
def _locked(name: str) -> Iterator[None]:
    """An exclusive advisory lock on a file in the cache folder (builds of one corpus serialise)."""
    cache_dir().mkdir(parents=True, exist_ok=True)
    with open(cache_dir() / f"{name}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def corpus_path(articles: int, seed: int = DEFAULT_SEED) -> Path:
    """Where the corpus of this size, seed and generator version is cached."""
    return cache_dir() / f"corpus-{size_label(articles)}-s{seed}-g{generator_version()}.duckdb"


def corpus(
    articles: int, seed: int = DEFAULT_SEED, *, log: Callable[[str], None] | None = None
) -> Path:
    """A database of `articles` demo articles, built once by `softpower-tui sample` and cached."""
    path = corpus_path(articles, seed)
    with _locked(path.stem):
        if path.exists():
            ensure_facts(path, log=log)
            return path
        for stale in cache_dir().glob(f"corpus-{size_label(articles)}-s{seed}-g*"):
            if not stale.name.startswith(path.stem + "."):
                stale.unlink()  # an older generator's corpus and its exports: not comparable
        tmp = path.with_name(path.stem + ".building.duckdb")
        tmp.unlink(missing_ok=True)
        Path(str(tmp) + ".wal").unlink(missing_ok=True)
        if log:
            log(f"building the {size_label(articles)} corpus (seed {seed}) → {path.name}")
        cmd = softpower_cmd() + [
            "sample", "--db", str(tmp), "--articles", str(articles), "--seed", str(seed),
        ]
        run = run_measured(cmd)
        run.check("softpower-tui sample")
        if log:
            log(f"  built in {fmt_seconds(run.seconds)}, peak memory {fmt_bytes(run.peak_rss)}")
        tmp.rename(path)
        ensure_facts(path, log=log)
        return path


def ensure_facts(db: Path, *, log: Callable[[str], None] | None = None) -> None:
    """Bring the store's derived fact tables of a cached corpus up to date (as an import would)."""
    import duckdb

    try:
        from store import facts
    except ImportError:
        return
    con = duckdb.connect(str(db))
    try:
        con.execute("SET enable_progress_bar = false")
        con.execute(facts.DDL)  # an older cache may lack the newest derived tables
        if facts.current(con) and facts.rollup_themes(con):
            return
        if log:
            log(f"building the fact tables of {db.name}")
        con.execute("BEGIN TRANSACTION")
        facts.rebuild(con)
        con.execute("COMMIT")
    finally:
        con.close()


CANONICAL_EXPORT_SQL = """
SELECT a.id, a.url, a.title, a.source,
    strftime(a.published, '%Y-%m-%dT%H:%M:%SZ') AS published,
    coalesce(t.themes, []) AS themes,
    coalesce(c.countries, []) AS countries,
    coalesce(r.regions, []) AS regions,
    a.source_country, a.language, a.tone, a.summary
FROM articles a
LEFT JOIN (SELECT aid, list(theme ORDER BY theme) AS themes FROM article_themes GROUP BY aid) t
    USING (aid)
LEFT JOIN (SELECT aid, list(country ORDER BY country) AS countries
           FROM article_countries GROUP BY aid) c USING (aid)
LEFT JOIN (SELECT aid, list(region ORDER BY region) AS regions
           FROM article_regions GROUP BY aid) r USING (aid)
ORDER BY a.aid
"""

FILE_FORMATS = ("jsonl", "csv", "parquet")


def corpus_file(articles: int, fmt: str, seed: int = DEFAULT_SEED) -> Path:
    """The corpus as a canonical import file (JSONL, CSV with ';'-joined lists, or Parquet)."""
    import duckdb

    if fmt not in FILE_FORMATS:
        raise ValueError(f"unknown format {fmt!r}")
    db = corpus(articles, seed)
    path = db.with_suffix(f".{fmt}")
    with _locked(path.name):
        if path.exists():
            return path
        tmp = path.with_name(path.stem + f".building.{fmt}")
        con = duckdb.connect(str(db), read_only=True)
        try:
            con.execute("SET enable_progress_bar = false")
            if fmt == "csv":
                select = (
                    "SELECT * REPLACE (array_to_string(themes, ';') AS themes, "
                    "array_to_string(countries, ';') AS countries, "
                    f"array_to_string(regions, ';') AS regions) FROM ({CANONICAL_EXPORT_SQL})"
                )
                options = "FORMAT csv, HEADER true"
            elif fmt == "jsonl":
                select, options = CANONICAL_EXPORT_SQL, "FORMAT json"
            else:
                select, options = CANONICAL_EXPORT_SQL, "FORMAT parquet, COMPRESSION zstd"
            con.execute(f"COPY ({select}) TO '{tmp}' ({options})")
        finally:
            con.close()
        tmp.rename(path)
        return path


# -- the machine -----------------------------------------------------------------------------------


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def _ram_bytes() -> int:
    with contextlib.suppress(OSError):
        match = re.search(r"^MemTotal:\s+(\d+) kB", Path("/proc/meminfo").read_text(), re.M)
        if match:
            return int(match.group(1)) * 1024
    with contextlib.suppress(ValueError, OSError, AttributeError):
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return 0


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine() -> dict[str, str]:
    """The machine and the library versions the figures were measured with."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "CPU": f"{_cpu_model()}, {cores} cores available ({os.cpu_count()} online)",
        "RAM": fmt_bytes(_ram_bytes()),
        "OS": f"{platform.system()} {platform.release()} ({platform.machine()})",
        "Python": platform.python_version(),
        "DuckDB": _version("duckdb"),
        "Polars": _version("polars"),
        "PyArrow": _version("pyarrow"),
        "pandas": _version("pandas"),
        "Textual": _version("textual"),
        "softpower-tui": _version("softpower-tui"),
    }


def machine_markdown() -> str:
    """The machine as a two-column markdown table."""
    return markdown_table(["machine", ""], [[k, v] for k, v in machine().items()], align="ll")


# -- docs/benchmarks.md ----------------------------------------------------------------------------


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[object]],
                   align: str | None = None) -> str:
    """A GitHub markdown table; `align` is one letter per column ('l' or 'r', default: l then r)."""
    align = align or ("l" + "r" * (len(headers) - 1))
    rule = ["---:" if a == "r" else "---" for a in align]

    def line(cells: Sequence[object]) -> str:
        return "| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |"

    return "\n".join([line(headers), "| " + " | ".join(rule) + " |"] + [line(r) for r in rows])


def command_text(script: str, argv: Sequence[str]) -> str:
    """The exact command a section was produced by, for the reader to re-run."""
    return shlex.join(["uv", "run", "--group", "bench", "python", script, *argv])


DOC_HEAD = """# Benchmarks

Produced by `uv run --group bench python bench/run.py` (see `bench/README.md`); every section
names the exact command that wrote it. Medians of repeated runs after a warm-up, with the range of
the runs in brackets, and a baseline measured in the same process beside each figure.
"""


def _markers(name: str) -> tuple[str, str]:
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", name):
        raise ValueError(f"section names are lowercase slugs, not {name!r}")
    return f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"


def replace_section(document: str, name: str, body: str) -> str:
    """`document` with the text between `name`'s markers replaced (appended when absent)."""
    start, end = _markers(name)
    block = f"{start}\n{body.strip()}\n{end}"
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.DOTALL)
    if pattern.search(document):
        return pattern.sub(lambda _m: block, document, count=1)
    if not document.strip():
        document = DOC_HEAD
    return document.rstrip("\n") + "\n\n" + block + "\n"


_ANY_SECTION = re.compile(r"<!-- bench:([a-z0-9_-]+) -->.*?<!-- /bench:\1 -->\n?", re.DOTALL)


def order_sections(document: str, first: Sequence[str]) -> str:
    """`document` with the named sections moved, in that order, ahead of every other section."""
    blocks = {m.group(1): m.group(0).rstrip("\n") for m in _ANY_SECTION.finditer(document)}
    if not blocks:
        return document
    head = document[: _ANY_SECTION.search(document).start()].rstrip("\n")  # type: ignore[union-attr]
    names = [n for n in first if n in blocks] + [n for n in blocks if n not in first]
    return head + "\n\n" + "\n\n".join(blocks[n] for n in names) + "\n"


def reorder_sections(first: Sequence[str], path: Path | None = None) -> None:
    """Put the named sections of the results document first, in that order (under the lock)."""
    path = path or benchmarks_md()
    with _locked("benchmarks-md"):
        if not path.exists():
            return
        updated = order_sections(path.read_text(encoding="utf-8"), first)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(updated, encoding="utf-8")
        os.replace(tmp, path)


def read_section(name: str, path: Path | None = None) -> str | None:
    """The current body of a section, or None."""
    start, end = _markers(name)
    path = path or benchmarks_md()
    if not path.exists():
        return None
    match = re.search(re.escape(start) + r"\n?(.*?)\n?" + re.escape(end), path.read_text(),
                      re.DOTALL)
    return match.group(1) if match else None


def write_section(
    name: str, body: str, *, command: str | None = None, path: Path | None = None
) -> None:
    """Replace one section of docs/benchmarks.md atomically, under a lock; the rest stays as it is.

    `body` should start with its own `## heading`; `command` is added under it when given.
    """
    if command:
        lines = body.strip().splitlines()
        if lines and lines[0].startswith("#"):
            body = "\n".join([lines[0], "", f"`{command}`", *lines[1:]])
        else:
            body = f"`{command}`\n\n{body}"
    path = path or benchmarks_md()
    path.parent.mkdir(parents=True, exist_ok=True)
    with _locked("benchmarks-md"):
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        updated = replace_section(current, name, body)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(updated, encoding="utf-8")
        os.replace(tmp, path)


# -- results passed between processes --------------------------------------------------------------


@dataclass
class Results:
    """Figures one script measured, saved as JSON in the cache so `run.py` can tabulate them."""

    name: str
    figures: dict[str, object] = field(default_factory=dict)

    def path(self) -> Path:
        return cache_dir() / "results" / f"{self.name}.json"

    def save(self) -> Path:
        target = self.path()
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(self.figures, indent=2, default=str), encoding="utf-8")
        return target

    @classmethod
    def load(cls, name: str) -> Results:
        target = cache_dir() / "results" / f"{name}.json"
        figures = json.loads(target.read_text(encoding="utf-8")) if target.exists() else {}
        return cls(name, figures)
