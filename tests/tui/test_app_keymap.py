"""Bindings carry ids; a keymap file (config dir, keymap.toml, `id = "key"`) rebinds them."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from dashboard_helpers import settle, small_db

import tui.app
from tui.app import DashboardApp
from tui.cli import main
from tui.keymap import BINDING_IDS, KeymapError, key_display, load_keymap, parse_keymap


@pytest.fixture(scope="session")
def db() -> Path:
    return small_db()


def test_every_binding_has_a_unique_id() -> None:
    ids = [b.id for b in DashboardApp.BINDINGS]  # type: ignore[union-attr]
    assert all(ids) and len(set(ids)) == len(ids) == len(BINDING_IDS)


def test_parse_keymap_accepts_ids_and_reports_mistakes_with_file_and_line() -> None:
    assert parse_keymap('undo = "z"\nthemes = "T, ctrl+t"\n', "k.toml") == {
        "undo": "z", "themes": "T,ctrl+t"}
    cases = [
        ('undo = "z"\nundoo = "y"\n',
         "k.toml:2: unknown binding id 'undoo' — did you mean 'undo'?"),
        ('undo = 3\n', "k.toml:1: undo must be a key name"),
        ('undo = "ctrl+s"\n', "k.toml:1: ctrl+s alone is taken"),
        ('undo = "a b"\n', "k.toml:1: 'a b' is not a key name"),
        ('undo = \n', "k.toml: not valid TOML"),
    ]
    for text, message in cases:
        with pytest.raises(KeymapError) as caught:
            parse_keymap(text, "k.toml")
        assert str(caught.value).startswith(message), str(caught.value)


def test_load_keymap_without_a_file_is_empty(tmp_path: Path) -> None:
    assert load_keymap(tmp_path / "none.toml") == {}


def test_key_display() -> None:
    assert [key_display(k) for k in ("question_mark", "f1", "plus", "minus", "slash",
                                     "ctrl+t", "U", "space")] == [
        "?", "F1", "+", "-", "/", "Ctrl+T", "U", "Space"]


async def test_rebound_keys_act_and_show_in_help_and_summary(db: Path, tmp_path: Path) -> None:
    app = DashboardApp(
        db_path=db, poll_seconds=0, preload_delay=0, cwd=tmp_path, config_path=tmp_path,
        keymap={"granularity": "w", "filters": "F"})
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("g")
        await settle(pilot)
        assert app.spec.every == "month"  # g no longer cycles
        await pilot.press("w")
        await settle(pilot)
        assert app.spec.every == "quarter"
        rows = {r[2]: r for r in app.key_list()}
        assert rows["granularity"][0] == "w" and rows["filters"][0] == "F"
        assert "Filters (F)" in str(app.query_one("#summary").render())
        await pilot.press("F")
        await pilot.pause()
        assert app.query_one("#filter-panel").display


def test_bad_keymap_file_stops_the_launch_with_its_name(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config" / "softpower-tui"
    config.mkdir(parents=True)
    (config / "keymap.toml").write_text('redo = "Y"\nnope = "n"\n')
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    opened: list[DashboardApp] = []
    monkeypatch.setattr(tui.app.DashboardApp, "run", lambda self: opened.append(self))
    result = CliRunner().invoke(main, ["--db", str(db)])
    assert result.exit_code == 1
    assert f"{config / 'keymap.toml'}:2: unknown binding id 'nope'" in result.stderr
    assert not opened
    (config / "keymap.toml").write_text('redo = "Y"\n')
    result = CliRunner().invoke(main, ["--db", str(db)])
    assert result.exit_code == 0 and opened
    assert opened[0]._keymap == {"redo": "Y"}
    (config / "keymap.toml").write_text('trends-spikes = "S"\n')  # a tab's own key
    result = CliRunner().invoke(main, ["--db", str(db)])
    assert result.exit_code == 0 and opened[-1]._keymap == {"trends-spikes": "S"}


def test_readme_lists_every_dashboard_key() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    keys_paragraph = readme[readme.index("**Keys**"):]
    keys_paragraph = keys_paragraph[:keys_paragraph.index("\n\n")]
    for binding in DashboardApp.BINDINGS:
        if binding.id.startswith("tab-"):  # type: ignore[union-attr]
            continue
        first = key_display(binding.key.split(",")[0])  # type: ignore[union-attr]
        assert f"`{first}`" in keys_paragraph or f"`{first}/" in keys_paragraph or (
            f"/`{first}`" in keys_paragraph), binding.id  # type: ignore[union-attr]
