"""Untrusted text is shown literally: no markup, no escape sequences, no bidi tricks."""

from __future__ import annotations

from tui.textsafe import clean, literal


def test_markup_stays_literal() -> None:
    assert literal("[bold]x[/]").plain == "[bold]x[/]"
    assert literal("[bold]x[/]").spans == []


def test_escape_sequences_are_made_visible() -> None:
    shown = clean("\x1b]0;pwned\x07 and \x1b[31mred")
    assert "\x1b" not in shown and "\x07" not in shown
    assert "\\x1b]0;pwned\\x07" in shown
    assert "\\x1b[31mred" in shown


def test_bidi_and_zero_width_are_dropped() -> None:
    assert clean("a\u202eb\u200bc\u2066d") == "abcd"
    assert clean(None) == ""
