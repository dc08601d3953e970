"""End the dashboard on SIGHUP and SIGTERM the way it ends on SIGINT: through Textual's shutdown,
which leaves the alternate screen, shows the cursor and restores the terminal's modes.

Without this, Python's default action for SIGHUP (a dropped SSH connection, a closed terminal
window) and SIGTERM ends the process on the spot and leaves a terminal that is still in raw
mode, with no cursor, on the alternate screen. (The database needs no such care: the dashboard
holds no connection open between queries, and reads never write.)
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator
from types import FrameType

SIGNALS = (signal.SIGHUP, signal.SIGTERM)


def _as_interrupt(signum: int, frame: FrameType | None) -> None:
    # The same path as Ctrl+C sent as a signal: asyncio cancels the app's task and Textual's
    # driver restores the terminal on the way out.
    signal.raise_signal(signal.SIGINT)


@contextlib.contextmanager
def hangup_ends_cleanly() -> Iterator[None]:
    """Within the block, SIGHUP and SIGTERM act as SIGINT (main thread only)."""
    previous = {}
    for sig in SIGNALS:
        with contextlib.suppress(ValueError, OSError):  # not the main thread: leave them alone
            previous[sig] = signal.signal(sig, _as_interrupt)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
