"""Literal display of untrusted text: Rich `Text`, control characters and bidi marks made inert."""

from __future__ import annotations

import unicodedata

from rich.text import Text

_BIDI_AND_ZERO_WIDTH = {
    "\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u2060", "\ufeff",
    "\u202a", "\u202b", "\u202c", "\u202d", "\u202e",
    "\u2066", "\u2067", "\u2068", "\u2069", "\u061c",
}


def clean(value: object) -> str:
    """The text with control characters escaped visibly and bidi/zero-width marks dropped."""
    text = "" if value is None else str(value)
    out: list[str] = []
    for ch in text:
        if ch in _BIDI_AND_ZERO_WIDTH:
            continue
        if ch in "\t\n\r":
            out.append(" ")
        elif unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co"):
            out.append(ch.encode("unicode_escape").decode("ascii"))
        else:
            out.append(ch)
    return "".join(out)


def literal(value: object, style: str = "") -> Text:
    """A `Text` showing `value` literally: never parsed as markup, never emitting escapes."""
    return Text(clean(value), style=style, no_wrap=True, end="")
