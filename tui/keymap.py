"""The dashboard's keys: one registry of bindings with ids, and the keymap file that rebinds them.

A keymap file (`keymap.toml` in the config directory) maps binding ids to keys, e.g.

    undo = "z"
    themes = "T,ctrl+t"

Keys use Textual's names (`ctrl+t`, `f5`, `question_mark`, a single character); a comma separates
several keys for one action. The help screen (`?`) lists every id.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path

from textual.binding import Binding

from store.paths import config_dir
from store.viewspec import did_you_mean

KEYMAP_FILENAME = "keymap.toml"

# (id, default keys, action, footer label or None when not in the footer, what it does)
_BINDINGS: tuple[tuple[str, str, str, str | None, str], ...] = (
    ("quit", "q", "quit", "Quit", "Quit"),
    ("help", "question_mark,f1", "help", "Help", "Help: every key and action"),
    ("tab-trends", "1", "show_tab('trends')", None, "Trends tab"),
    ("tab-regions", "2", "show_tab('regions')", None, "Regions tab"),
    ("tab-articles", "3", "show_tab('articles')", None, "Articles tab"),
    ("tab-cooccurrence", "4", "show_tab('cooccurrence')", None, "Co-occurrence tab"),
    ("filters", "f", "toggle_filters", "Filters", "Show or hide the filter panel"),
    ("themes", "t", "pick_themes", "Themes", "Filter by themes (taxonomy tree)"),
    ("regions", "r", "pick_regions", None, "Filter by regions"),
    ("countries", "k", "pick_countries", None, "Filter by countries"),
    ("sources", "p", "pick_sources", None, "Filter by sources (publications)"),
    ("dates", "d", "pick_dates", None, "Date range (typed or a preset)"),
    ("search", "slash", "search", None, "Search titles and summaries"),
    ("granularity", "g", "cycle_every", None, "Granularity: day, week, month, quarter, year"),
    ("metric", "m", "cycle_metric", None, "Metric: count, share, tone"),
    ("smooth-more", "plus,equals_sign", "smooth(1)", None, "Smooth over one more period"),
    ("smooth-less", "minus", "smooth(-1)", None, "Smooth over one period less"),
    ("split-regions", "b", "toggle_by_region", None, "Split series by region (on/off)"),
    ("clear", "x", "clear_filters", None, "Clear all filters"),
    ("undo", "u", "undo", "Undo", "Undo the last view change"),
    ("redo", "U", "redo", None, "Redo the view change undone"),
    ("export", "e", "export", "Export", "Export the current tab's table to a file"),
    ("save-view", "s", "save_view", None, "Save the view under a name"),
    ("open-view", "o", "open_view", None, "Open a saved view"),
    ("reload", "R", "reload", None, "Reload the data"),
)

BINDING_IDS: tuple[str, ...] = tuple(b[0] for b in _BINDINGS)

_NAMED = {"plus": "+", "minus": "-", "slash": "/", "question_mark": "?", "equals_sign": "=",
          "full_stop": ".", "comma": ",", "asterisk": "*", "underscore": "_"}
_KEY = re.compile(r"^[A-Za-z0-9_+\-]+$|^.$")


class KeymapError(ValueError):
    """A keymap file that cannot be used; the message names the file and line."""


def dashboard_bindings() -> list[Binding]:
    """The dashboard's bindings, each with its id."""
    return [
        Binding(keys, action, short or long, show=short is not None, tooltip=long, id=binding_id)
        for binding_id, keys, action, short, long in _BINDINGS
    ]


def key_display(key: str) -> str:
    """A key as people write it: '?', '+', 'F1', 'Ctrl+T', 'Escape'."""
    from textual.keys import key_to_character

    *modifiers, name = key.strip().split("+") if key.strip() != "+" else ["+"]
    character = _NAMED.get(name) or (key_to_character(name) if len(name) > 1 else name)
    if character and len(character) == 1 and character.isprintable() and character != " ":
        shown = character.upper() if modifiers else character
    elif name.startswith("f") and name[1:].isdigit():
        shown = name.upper()
    else:
        shown = name.replace("_", " ").title().replace("Pageup", "PgUp").replace("Pagedown", "PgDn")
    return "+".join([*(m.title() for m in modifiers), shown])


def keymap_path(env: Mapping[str, str] | None = None) -> Path:
    """Where the keymap file is read from."""
    return config_dir(env) / KEYMAP_FILENAME


def _line_of(text: str, key: str) -> int:
    for number, line in enumerate(text.splitlines(), start=1):
        if line.split("=", 1)[0].strip().strip("\"'") == key:
            return number
    return 1


def parse_keymap(text: str, origin: str,
                 known: Sequence[str] = BINDING_IDS) -> dict[str, str]:
    """Binding id → keys from the text of a keymap file; problems raise `KeymapError`."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise KeymapError(f"{origin}: not valid TOML: {exc}") from None
    keymap: dict[str, str] = {}
    for binding_id, keys in data.items():
        line = _line_of(text, binding_id)
        if binding_id not in known:
            raise KeymapError(
                f"{origin}:{line}: unknown binding id {binding_id!r}"
                f"{did_you_mean(binding_id, known)} (the help screen, ?, lists every id)"
            )
        if not isinstance(keys, str) or not keys.strip():
            raise KeymapError(f"{origin}:{line}: {binding_id} must be a key name in quotes, "
                              "e.g. \"z\" or \"ctrl+t\"")
        parts = [k.strip() for k in keys.split(",")]
        for key in parts:
            if not key or not _KEY.match(key):
                raise KeymapError(f"{origin}:{line}: {key!r} is not a key name "
                                  "(e.g. \"z\", \"ctrl+t\", \"f5\")")
            if key in ("ctrl+b", "ctrl+s", "ctrl+q") and len(parts) == 1:
                raise KeymapError(f"{origin}:{line}: {key} alone is taken by tmux or terminal "
                                  f"flow control; add a second key (\"{key},…\")")
        keymap[binding_id] = ",".join(parts)
    return keymap


def load_keymap(path: Path | None = None,
                known: Sequence[str] = BINDING_IDS) -> dict[str, str]:
    """The keymap file's contents, or {} when there is no file."""
    path = keymap_path() if path is None else path
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except UnicodeDecodeError:
        raise KeymapError(f"{path}: not a UTF-8 text file") from None
    except OSError as exc:
        raise KeymapError(f"{path}: cannot read the keymap file ({exc.strerror})") from None
    return parse_keymap(text, str(path), known)
