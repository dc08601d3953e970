"""Where the database file lives: `--db` > `$SOFTPOWER_DB` > the XDG data dir."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

DB_FILENAME = "softpower.duckdb"
APP_DIRNAME = "softpower-tui"


def data_dir(env: Mapping[str, str] | None = None) -> Path:
    """The XDG data directory of the app (not created)."""
    env = os.environ if env is None else env
    base = env.get("XDG_DATA_HOME") or str(Path(env.get("HOME", str(Path.home()))) / ".local/share")
    return Path(base) / APP_DIRNAME


def config_dir(env: Mapping[str, str] | None = None) -> Path:
    """The XDG config directory of the app (not created); saved views live under it."""
    env = os.environ if env is None else env
    base = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME", str(Path.home()))) / ".config")
    return Path(base) / APP_DIRNAME


def resolve_db_path(
    cli_value: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    *,
    create_parent: bool = True,
) -> Path:
    """Pick the database path by the documented precedence and create its parent folders."""
    env = os.environ if env is None else env
    if cli_value:
        path = Path(cli_value)
    elif env.get("SOFTPOWER_DB"):
        path = Path(env["SOFTPOWER_DB"])
    else:
        path = data_dir(env) / DB_FILENAME
    path = path.expanduser()
    if create_parent:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            blocker = next((p for p in (path.parent, *path.parent.parents)
                            if p.exists() and not p.is_dir()), None)
            reason = (f"{blocker} is a file, not a folder" if blocker is not None
                      else exc.strerror or str(exc))
            raise OSError(f"cannot create the folder of the database {path}: {reason}") from exc
    return path


def sample_data_dir() -> Path:
    """The bundled `sample_data/` folder, in a source checkout or an installed wheel."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "sample_data", here.parent / "sample_data"):
        if (candidate / "themes.toml").exists():
            return candidate
    raise FileNotFoundError("the bundled sample_data folder is missing from this installation")
