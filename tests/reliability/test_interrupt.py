"""Interrupting the dashboard: SIGHUP (a dropped SSH connection), SIGINT and the Ctrl+C key, on a
pseudo-terminal; SIGTERM takes the SIGHUP path (checked in-process). The process ends (or, for the
key, keeps running until asked to quit), the terminal is left as it was (its termios modes equal
those before the start, the alternate screen is left and the cursor shown) and the database file
is untouched.

Only the launch and signals are used, so the test holds whatever the dashboard shows.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from tui.cli import main

CLI = [sys.executable, "-c", "from tui.cli import main; main(prog_name='softpower-tui')"]
ALT_SCREEN_ON = b"\x1b[?1049h"
ALT_SCREEN_OFF = b"\x1b[?1049l"
SHOW_CURSOR = b"\x1b[?25h"
STARTUP_LIMIT = 90.0  # seconds to reach the first screen (a hang detector, not a measurement)
EXIT_LIMIT = 30.0  # seconds to end after the signal (likewise)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("dash")
    src = folder / "a.jsonl"
    src.write_text("".join(
        json.dumps({"id": f"a{i}", "title": f"Article {i}", "published": f"2020-0{1 + i % 9}-01",
                    "themes": ["united-front", "state-media"][i % 2:], "countries": ["KE"]})
        + "\n" for i in range(60)))
    db = folder / "dash.duckdb"
    result = CliRunner().invoke(main, ["--db", str(db), "import", str(src)])
    assert result.exit_code == 0, result.output
    return db


class Dashboard:
    """`softpower-tui --db DB` on a fresh pseudo-terminal of 100x30; collects all it writes."""

    def __init__(self, db: Path) -> None:
        self.master, self.slave = os.openpty()
        fcntl.ioctl(self.slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
        self.modes_before = termios.tcgetattr(self.slave)
        env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "100", "LINES": "30"}
        env.pop("NO_COLOR", None)
        self.proc = subprocess.Popen([*CLI, "--db", str(db)], stdin=self.slave,
                                     stdout=self.slave, stderr=self.slave, env=env,
                                     start_new_session=True)
        self.output = b""

    def read(self, seconds: float) -> bytes:
        """What the dashboard writes within `seconds`."""
        got = b""
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            ready, _, _ = select.select([self.master], [], [], left)
            if not ready:
                break
            try:
                chunk = os.read(self.master, 65536)
            except OSError:
                break
            got += chunk
        self.output += got
        return got

    def wait_for_first_screen(self) -> None:
        """Until the alternate screen is on and the drawing has settled (nothing new for 0.5 s)."""
        deadline = time.monotonic() + STARTUP_LIMIT
        while ALT_SCREEN_ON not in self.output and time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.read(0.2)
                pytest.fail(f"the dashboard ended at start: {self.output[-2000:]!r}")
            self.read(0.2)
        assert ALT_SCREEN_ON in self.output, f"no first screen: {self.output[-2000:]!r}"
        while time.monotonic() < deadline and self.read(0.5):
            pass

    def wait_exit(self, limit: float = EXIT_LIMIT) -> int | None:
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            self.read(0.1)
            code = self.proc.poll()
            if code is not None:
                self.read(0.2)
                return code
        return None

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        os.close(self.master)
        os.close(self.slave)


@pytest.mark.parametrize("sig", [signal.SIGHUP, signal.SIGINT], ids=["SIGHUP", "SIGINT"])
def test_a_signal_ends_the_dashboard_and_restores_the_terminal(
    database: Path, sig: signal.Signals
) -> None:
    before = sha256(database)
    dash = Dashboard(database)
    try:
        dash.wait_for_first_screen()
        running = termios.tcgetattr(dash.slave)
        assert running != dash.modes_before  # the dashboard put the terminal in raw mode
        mark = len(dash.output)
        dash.proc.send_signal(sig)
        code = dash.wait_exit()
        assert code is not None, f"still running {EXIT_LIMIT:g} s after {sig.name}"
        after = dash.output[mark:]
        assert termios.tcgetattr(dash.slave) == dash.modes_before
        assert ALT_SCREEN_OFF in after and SHOW_CURSOR in after, after[-500:]
        assert b"Traceback" not in dash.output
    finally:
        dash.close()
    assert sha256(database) == before
    assert not Path(f"{database}.wal").exists()


def test_the_ctrl_c_key_does_not_break_the_terminal_and_q_quits(database: Path) -> None:
    """In the dashboard Ctrl+C is a key, not a signal: the app stays up (and says how to quit);
    then `q` quits cleanly."""
    before = sha256(database)
    dash = Dashboard(database)
    try:
        dash.wait_for_first_screen()
        os.write(dash.master, b"\x03")
        assert dash.wait_exit(2.0) is None or dash.proc.returncode == 0
        if dash.proc.poll() is None:
            os.write(dash.master, b"q")
            code = dash.wait_exit()
            assert code == 0, dash.output[-2000:]
        assert termios.tcgetattr(dash.slave) == dash.modes_before
        assert ALT_SCREEN_OFF in dash.output and SHOW_CURSOR in dash.output
        assert b"Traceback" not in dash.output
    finally:
        dash.close()
    assert sha256(database) == before


def test_sigterm_and_sighup_take_the_ctrl_c_path() -> None:
    """SIGTERM is handled like SIGHUP (tested on a pty above): both become SIGINT, which Python
    turns into KeyboardInterrupt and asyncio into a cancelled app; outside, nothing changes."""
    from tui.interrupt import hangup_ends_cleanly

    before = {s: signal.getsignal(s) for s in (signal.SIGHUP, signal.SIGTERM)}
    for sig in (signal.SIGTERM, signal.SIGHUP):
        with pytest.raises(KeyboardInterrupt), hangup_ends_cleanly():
            os.kill(os.getpid(), sig)
            # The signal arrives before this ends. Short sleeps: a signal that lands on another
            # thread (one an earlier test left) does not cut a sleep of the main thread short,
            # and its handler runs only when the main thread next runs Python code.
            for _ in range(500):
                time.sleep(0.01)
    assert {s: signal.getsignal(s) for s in before} == before
