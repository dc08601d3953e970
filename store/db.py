"""Short-lived connections to the database file, retried with backoff while it is locked.

DuckDB allows one read-write process or many read-only processes on a file. Nothing here keeps a
connection open longer than one query or one load, so whoever waits only waits for that.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import random
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb

from store import schema, taxonomy

# What a query over a file's contents raises when it fails. DuckDB's Python binding raises
# UnicodeDecodeError instead of its own error when the message quotes the file's text cut inside a
# character (a JSON transform error on a line of multi-byte characters does).
QUERY_ERRORS = (duckdb.Error, UnicodeDecodeError)

DEFAULT_LOCK_TIMEOUT = 30.0
LOCK_TIMEOUT_ENV = "SOFTPOWER_LOCK_TIMEOUT"


class StoreError(Exception):
    """A problem with the database file that the user can act on; the message says what."""


class StoreLockedError(StoreError):
    """The file stayed locked by another process for longer than the allowed wait."""


class StoreMissingError(StoreError):
    """There is no database at the path yet."""


WaitCallback = Callable[[str, float], None]


def lock_timeout() -> float:
    """Seconds to wait for a locked file: $SOFTPOWER_LOCK_TIMEOUT, else DEFAULT_LOCK_TIMEOUT.

    Read at each open (not at import) so a test or a long-running process sees the current value.
    """
    raw = os.environ.get(LOCK_TIMEOUT_ENV, "").strip()
    if not raw:
        return DEFAULT_LOCK_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value >= 0 or value == float("inf"):
        raise StoreError(f"{LOCK_TIMEOUT_ENV}={raw!r} is not a number of seconds (e.g. 30)")
    return value


def _is_lock_error(exc: BaseException) -> bool:
    text = str(exc).lower()
    return "lock" in text and ("conflicting" in text or "could not set lock" in text)


# A writer that finds the file locked leaves this marker beside it while it waits; readers that
# see it hold back until the writer is through, so a stream of short reads cannot starve an
# import (each reader lets go within one query; without the marker some reader nearly always
# holds the file). The marker names the writer's pid and is refreshed while it waits.
PENDING_SUFFIX = ".write-pending"
PENDING_STALE_SECONDS = 10.0
WRITER_MAX_DELAY = 0.2


def pending_marker(path: str | os.PathLike[str]) -> Path:
    """The file a waiting writer leaves beside the database."""
    path = Path(path)
    return path.with_name(f".{path.name}{PENDING_SUFFIX}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def writer_pending(path: str | os.PathLike[str]) -> bool:
    """True while another live process waits to write the file (a fresh marker of a live pid)."""
    marker = pending_marker(path)
    try:
        text = marker.read_text(encoding="ascii", errors="replace").strip()
        age = time.time() - marker.stat().st_mtime
    except OSError:
        return False
    pid = int(text) if text.isdigit() else 0
    if pid == os.getpid() or age > PENDING_STALE_SECONDS:
        return False
    return pid == 0 or _alive(pid)


def _claim(path: Path) -> bool:
    """Leave the marker for this process; False when another live writer already left one."""
    marker = pending_marker(path)
    for _ in range(2):
        try:
            fd = os.open(marker, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            if writer_pending(path):
                return False
            with contextlib.suppress(OSError):
                marker.unlink()  # left by a writer that is gone (or by this one)
            continue
        except OSError:
            return False  # e.g. a read-only folder: the write will fail anyway
        with os.fdopen(fd, "w") as fh:
            fh.write(str(os.getpid()))
        return True
    return False


class WriteIntent:
    """Tells readers that this process waits to write the file, so they hold back (see
    `pending_marker`). Call `waiting()` at each failed attempt to take the write lock; the marker
    goes when the block ends."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.claimed = False

    def waiting(self) -> None:
        if not self.claimed:
            self.claimed = _claim(self.path)
        else:
            with contextlib.suppress(OSError):
                os.utime(pending_marker(self.path))

    def release(self) -> None:
        if self.claimed:
            self.claimed = False
            with contextlib.suppress(OSError):
                pending_marker(self.path).unlink()

    def __enter__(self) -> WriteIntent:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def connect(
    path: str | os.PathLike[str],
    *,
    read_only: bool,
    timeout: float | None = None,
    on_wait: WaitCallback | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> duckdb.DuckDBPyConnection:
    """Open the file, retrying with jittered exponential backoff while another process locks it.

    `on_wait(message, waited_seconds)` is called before each retry so the caller can tell the user
    what it waits for. A reader also waits while a writer is waiting (see `pending_marker`).
    Raises StoreLockedError after `timeout` seconds, StoreMissingError when a read-only open finds
    no file.
    """
    path = Path(path)
    if read_only and not path.exists():
        raise StoreMissingError(f"no database at {path}")
    timeout = lock_timeout() if timeout is None else timeout
    start = clock()
    delay = 0.05
    with WriteIntent(path) as intent:
        while True:
            if not (read_only and writer_pending(path)):
                try:
                    return duckdb.connect(str(path), read_only=read_only)
                except (duckdb.IOException, duckdb.ConnectionException) as exc:
                    if not _is_lock_error(exc):
                        raise StoreError(f"cannot open database {path}: {exc}") from None
            waited = clock() - start
            if waited >= timeout:
                raise StoreLockedError(
                    f"database {path} is still locked by another process after {waited:.0f} s "
                    f"(an import or another writer); try again later or raise "
                    f"SOFTPOWER_LOCK_TIMEOUT"
                ) from None
            if not read_only:
                intent.waiting()
            if on_wait is not None:
                who = "a writer" if read_only else "another process"
                on_wait(f"waiting for {who} to release {path.name}", waited)
            sleep(min(delay * (0.5 + random.random()), max(0.0, timeout - waited)))
            delay = min(delay * 2, WRITER_MAX_DELAY if intent.claimed else 1.0)


_SPILL: list[Path] = []
_SPILL_LOCK = threading.Lock()


def spill_dir() -> Path:
    """This process's private folder for what DuckDB spills (created once, mode 0700, removed
    at exit): never beside the database, which readers may not be allowed to write to."""
    with _SPILL_LOCK:
        if not _SPILL:
            folder = Path(tempfile.mkdtemp(prefix="softpower-spill-"))
            atexit.register(shutil.rmtree, folder, ignore_errors=True)
            _SPILL.append(folder)
        return _SPILL[0]


@contextlib.contextmanager
def reading(
    path: str | os.PathLike[str],
    *,
    timeout: float | None = None,
    on_wait: WaitCallback | None = None,
    memory_limit: str | None = None,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection for the duration of a `with` block.

    With `memory_limit` (e.g. "512MB") its queries hold at most that much and spill the rest to
    `spill_dir()`: for a long-lived process such as the dashboard, whose background reads (every
    article of a view, sorted) would otherwise each take what DuckDB's default allows (80 % of RAM).
    """
    con = connect(path, read_only=True, timeout=timeout, on_wait=on_wait)
    try:
        if memory_limit is not None:
            con.execute("SET memory_limit = $limit", {"limit": memory_limit})
            con.execute("SET temp_directory = $dir", {"dir": str(spill_dir())})
        yield con
    finally:
        con.close()


@contextlib.contextmanager
def writing(
    path: str | os.PathLike[str],
    *,
    timeout: float | None = None,
    on_wait: WaitCallback | None = None,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-write connection with the schema migrated and the reference data in place."""
    con = connect(path, read_only=False, timeout=timeout, on_wait=on_wait)
    try:
        schema.migrate(con)
        taxonomy.sync_reference_data(con)
        yield con
    finally:
        con.close()


def initialise(path: str | os.PathLike[str], **kwargs: object) -> None:
    """Create (or migrate) the database file with its schema and reference data."""
    with writing(path, **kwargs):  # type: ignore[arg-type]
        pass
