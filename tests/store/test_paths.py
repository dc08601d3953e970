"""The database path rules: --db > $SOFTPOWER_DB > XDG data dir, parents created."""

from __future__ import annotations

from pathlib import Path

import pytest

from store.paths import config_dir, resolve_db_path


def test_cli_value_wins_over_environment(tmp_path: Path) -> None:
    env = {"SOFTPOWER_DB": str(tmp_path / "env.duckdb"), "HOME": str(tmp_path)}
    assert resolve_db_path(tmp_path / "cli" / "x.duckdb", env) == tmp_path / "cli" / "x.duckdb"
    assert (tmp_path / "cli").is_dir()


def test_environment_wins_over_xdg(tmp_path: Path) -> None:
    env = {"SOFTPOWER_DB": str(tmp_path / "a" / "b" / "env.duckdb"), "HOME": str(tmp_path)}
    assert resolve_db_path(None, env) == tmp_path / "a" / "b" / "env.duckdb"
    assert (tmp_path / "a" / "b").is_dir()


def test_xdg_data_home_then_home(tmp_path: Path) -> None:
    env = {"XDG_DATA_HOME": str(tmp_path / "xdg"), "HOME": str(tmp_path / "home")}
    assert resolve_db_path(None, env) == tmp_path / "xdg" / "softpower-tui" / "softpower.duckdb"
    env = {"HOME": str(tmp_path / "home")}
    expected = tmp_path / "home" / ".local/share/softpower-tui/softpower.duckdb"
    assert resolve_db_path(None, env) == expected
    assert expected.parent.is_dir()


def test_empty_environment_values_are_ignored(tmp_path: Path) -> None:
    env = {"SOFTPOWER_DB": "", "XDG_DATA_HOME": "", "HOME": str(tmp_path)}
    assert resolve_db_path(None, env) == tmp_path / ".local/share/softpower-tui/softpower.duckdb"


def test_config_dir_follows_xdg(tmp_path: Path) -> None:
    assert config_dir({"XDG_CONFIG_HOME": str(tmp_path)}) == tmp_path / "softpower-tui"


def test_a_bounded_reader_spills_to_a_private_folder(tmp_path: Path) -> None:
    import stat

    from store.db import initialise, reading, spill_dir

    db = tmp_path / "r.duckdb"
    initialise(db)
    with reading(db, memory_limit="64MB") as con:
        limit, folder = con.sql(
            "SELECT current_setting('memory_limit'), current_setting('temp_directory')"
        ).fetchall()[0]
    assert limit.startswith("61") and folder == str(spill_dir())  # 64 MB = 61.0 MiB
    assert stat.S_IMODE(spill_dir().stat().st_mode) == 0o700
    assert spill_dir().parent != tmp_path
    with reading(db) as con:  # unbounded unless asked
        assert con.sql("SELECT current_setting('temp_directory')").fetchall()[0][0] != str(
            spill_dir())


def test_a_database_path_under_a_file_says_which_file_is_in_the_way(tmp_path: Path) -> None:
    blocker = tmp_path / "notes.txt"
    blocker.write_text("x")
    with pytest.raises(OSError, match=r"notes\.txt is a file, not a folder"):
        resolve_db_path(blocker / "sub" / "x.duckdb", {})
