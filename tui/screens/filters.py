"""Filter pickers: themes (a tree with counts), regions/countries/sources (lists with counts),
the date range (typed dates checked on entry, presets) and text search.

Each picker is a dialog: type to narrow, Space toggles, Enter applies, Escape cancels. The list
keeps the keyboard and narrows as letters arrive (in the order they were typed, so a fast burst
of letters, arrows and Space over SSH lands where the user meant). Counts come
from `store.aggregate.facet_counts` (articles under every other current filter), read in a worker
through the callable the app hands over, so the dialog opens at once and fills when they arrive.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, timedelta

import polars as pl
from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, SelectionList, Static, Tree
from textual.widgets.option_list import Option
from textual.widgets.selection_list import Selection
from textual.widgets.tree import TreeNode

from store.viewspec import ViewSpecError, parse_date
from tui.screens.dialog import dialog_css
from tui.textsafe import clean, literal

CountsLoader = Callable[[], pl.DataFrame]


def _matches(needle: str, *haystack: object) -> bool:
    return not needle or any(needle in str(h or "").casefold() for h in haystack)


def narrowing_key(screen: object, event: events.Key) -> None:
    """Letters, digits and Backspace edit the dialog's narrowing text (when it has one)."""
    narrow = getattr(screen, "narrow_by", None)
    if narrow is None:
        return
    if event.key == "backspace":
        narrow(None)
    elif event.character and event.character.isprintable() and event.character != " ":
        narrow(event.character)
    else:
        return
    event.stop()
    event.prevent_default()


class FacetList(SelectionList[str]):
    """A selection list where Space toggles, Enter applies the dialog and typing narrows it."""

    BINDINGS = [
        Binding("space", "screen.toggle_value", "Toggle", show=False),
        Binding("enter", "screen.apply", "Apply", show=False),
    ]

    def on_key(self, event: events.Key) -> None:
        narrowing_key(self.screen, event)


class ThemeTree(Tree[str]):
    """The taxonomy: Space toggles the theme under the cursor, Enter applies, typing narrows."""

    BINDINGS = [
        Binding("space", "screen.toggle_theme", "Toggle", show=False),
        Binding("enter", "screen.apply", "Apply", show=False),
    ]

    def on_key(self, event: events.Key) -> None:
        narrowing_key(self.screen, event)


class _PickerBase(ModalScreen[tuple[str, ...] | None]):
    """Shared behaviour: a narrowing input over a list filled from a counts loader."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+x", "clear_choice", "Clear selection", show=False),
    ]

    def __init__(self, title: str, selected: Sequence[str], load: CountsLoader) -> None:
        super().__init__()
        self.title_text = title
        self.chosen: list[str] = list(selected)
        self.loader = load
        self.counts: pl.DataFrame | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(literal(self.title_text), classes="dialog-title")
            narrow = Input(placeholder="type to narrow", id="narrow")
            narrow.can_focus = False
            yield narrow
            yield from self.compose_choices()
            yield Static(literal("reading counts…"), id="picker-status", classes="dialog-hint")
            yield Static(literal("Space toggles · Enter applies · Ctrl+X clears · Escape cancels"),
                         classes="dialog-hint")

    def compose_choices(self) -> ComposeResult:
        raise NotImplementedError

    def on_mount(self) -> None:
        self.set_focus(self.query_one("#choices"))
        self.read_counts()

    @work(thread=True, exit_on_error=False, group="counts")
    def read_counts(self) -> None:
        try:
            frame = self.loader()
        except Exception as exc:  # noqa: BLE001 - shown to the user, the dialog stays usable
            self.app.call_from_thread(self._show_status, f"cannot read counts: {exc}")
            return
        self.app.call_from_thread(self._counts_ready, frame)

    def _show_status(self, text: str) -> None:
        self.query_one("#picker-status", Static).update(literal(text))

    def _counts_ready(self, frame: pl.DataFrame) -> None:
        self.counts = frame
        self._show_status(f"{frame.height:,} values with matching articles")
        self.fill(self.query_one("#narrow", Input).value)

    def fill(self, needle: str) -> None:
        raise NotImplementedError

    def narrow_by(self, character: str | None) -> None:
        """Add a typed character to the narrowing text (None: remove the last) and refill."""
        field = self.query_one("#narrow", Input)
        field.value = field.value + character if character else field.value[:-1]
        self.fill(field.value)

    def action_apply(self) -> None:
        self.dismiss(tuple(self.chosen))

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_clear_choice(self) -> None:
        self.chosen = []
        self.fill(self.query_one("#narrow", Input).value)


class FacetScreen(_PickerBase):
    """Pick regions, countries or sources from a searchable list with article counts."""

    DEFAULT_CSS = dialog_css("FacetScreen") + (
        "FacetScreen #choices { height: auto; max-height: 12; }")

    def compose_choices(self) -> ComposeResult:
        yield FacetList(id="choices")

    def fill(self, needle: str) -> None:
        choices = self.query_one("#choices", FacetList)
        choices.clear_options()
        if self.counts is None:
            return
        needle = needle.strip().casefold()
        options: list[Selection[str]] = []
        seen = set()
        for value, label, articles in self.counts.select("value", "label", "articles").iter_rows():
            seen.add(value)
            if not _matches(needle, value, label):
                continue
            name = clean(label) if label == value else f"{clean(label)} ({clean(value)})"
            options.append(Selection(Text(f"{articles:>9,}  {name}"), value, value in self.chosen))
        for value in self.chosen:  # chosen values with no matching articles stay visible
            if value not in seen and _matches(needle, value):
                options.append(Selection(Text(f"{0:>9,}  {clean(value)}"), value, True))
        choices.add_options(options)
        if options:
            choices.highlighted = 0

    def action_toggle_value(self) -> None:
        """Toggle the value under the cursor (at once, so an Enter right after sees it)."""
        choices = self.query_one("#choices", FacetList)
        if choices.highlighted is None:
            return
        value = choices.get_option_at_index(choices.highlighted).value
        if value in self.chosen:
            self.chosen.remove(value)
            choices.deselect(value)
        else:
            self.chosen.append(value)
            choices.select(value)


class ThemeScreen(_PickerBase):
    """Pick themes from the taxonomy tree; each node shows its articles under the other filters."""

    DEFAULT_CSS = dialog_css("ThemeScreen") + (
        "ThemeScreen #choices { height: auto; max-height: 12; }")

    def compose_choices(self) -> ComposeResult:
        tree = ThemeTree("themes", id="choices")
        tree.show_root = False
        yield tree

    def _label(self, value: str, label: str, articles: int) -> Text:
        mark = "[x]" if value in self.chosen else "[ ]"
        name = clean(value) if label == value else f"{clean(label)} · {clean(value)}"
        return Text(f"{mark} {name}  {articles:,}")

    def fill(self, needle: str) -> None:
        tree = self.query_one("#choices", ThemeTree)
        tree.clear()
        if self.counts is None:
            return
        needle = needle.strip().casefold()
        rows = {r["value"]: r for r in self.counts.iter_rows(named=True)}
        for value in self.chosen:
            rows.setdefault(value, {"value": value, "label": value, "parent": None, "articles": 0})
        children: dict[str | None, list[str]] = {}
        for value, row in rows.items():
            parent = row.get("parent")
            children.setdefault(parent if parent in rows else None, []).append(value)

        def visible(value: str) -> bool:
            row = rows[value]
            return _matches(needle, value, row["label"]) or any(
                visible(c) for c in children.get(value, ()))

        first_match: list[TreeNode[str]] = []

        def add(node: TreeNode[str], value: str) -> None:
            row = rows[value]
            kids = [c for c in children.get(value, ()) if visible(c)]
            label = self._label(value, row["label"], row["articles"])
            if kids:
                added = node.add(label, data=value, expand=True)
            else:
                added = node.add_leaf(label, data=value)
            if needle and not first_match and _matches(needle, value, row["label"]):
                first_match.append(added)
            for kid in kids:
                add(added, kid)

        for value in children.get(None, ()):
            if visible(value):
                add(tree.root, value)
        tree.cursor_line = 0
        if first_match:  # the cursor on the first theme that matches, not on its parent
            tree.move_cursor(first_match[0])

    def action_toggle_theme(self) -> None:
        tree = self.query_one("#choices", ThemeTree)
        node = tree.cursor_node
        if node is None or node.data is None or self.counts is None:
            return
        value = node.data
        if value in self.chosen:
            self.chosen.remove(value)
        else:
            self.chosen.append(value)
        row = next((r for r in self.counts.iter_rows(named=True) if r["value"] == value),
                   {"label": value, "articles": 0})
        node.set_label(self._label(value, row["label"], row["articles"]))


def date_presets(last_day: date | None) -> list[tuple[str, date | None, date | None]]:
    """(name, since, until) of the date presets, relative to the corpus' last day."""
    if last_day is None:
        return [("all dates", None, None)]

    def years_back(years: int) -> date:
        try:
            return last_day.replace(year=last_day.year - years) + timedelta(days=1)
        except ValueError:  # 29 February
            return last_day.replace(year=last_day.year - years, day=28) + timedelta(days=1)

    return [
        (f"last 12 months (to {last_day.isoformat()})", years_back(1), last_day),
        (f"last 5 years (to {last_day.isoformat()})", years_back(5), last_day),
        ("since 2018", date(2018, 1, 1), None),
        ("all dates", None, None),
    ]


DateRange = tuple[date | None, date | None]


class DateRangeScreen(ModalScreen[DateRange | None]):
    """Typed dates (YYYY-MM-DD, checked as typed) or a preset; Enter applies, Escape cancels."""

    DEFAULT_CSS = dialog_css("DateRangeScreen") + """
    DateRangeScreen Horizontal { height: auto; }
    DateRangeScreen Input { width: 1fr; }
    DateRangeScreen #presets { height: auto; max-height: 6; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, since: date | None, until: date | None, last_day: date | None) -> None:
        super().__init__()
        self.since = since
        self.until = until
        self.presets = date_presets(last_day)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(literal("Date range (inclusive, UTC days)"), classes="dialog-title")
            with Horizontal():
                yield Input(self.since.isoformat() if self.since else "", id="since",
                            placeholder="since YYYY-MM-DD (empty: no bound)")
                yield Input(self.until.isoformat() if self.until else "", id="until",
                            placeholder="until YYYY-MM-DD (empty: no bound)")
            yield Static("", id="date-error", classes="dialog-error")
            yield OptionList(*[Option(literal(name), id=str(i))
                               for i, (name, _, _) in enumerate(self.presets)], id="presets")
            yield Static(literal("Enter applies the typed dates or the preset under the cursor "
                                 "· Tab moves · Escape cancels"), classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#since", Input).focus()

    def _typed(self) -> DateRange:
        since = parse_date(self.query_one("#since", Input).value, "since")
        until = parse_date(self.query_one("#until", Input).value, "until")
        if since and until and since > until:
            raise ViewSpecError(
                f"since {since} is after until {until} — the dates are out of order")
        return since, until

    @on(Input.Changed)
    def _check(self) -> None:
        try:
            self._typed()
        except ViewSpecError as exc:
            self.query_one("#date-error", Static).update(literal(str(exc)))
        else:
            self.query_one("#date-error", Static).update("")

    @on(Input.Submitted)
    def _apply_typed(self) -> None:
        try:
            self.dismiss(self._typed())
        except ViewSpecError as exc:
            self.query_one("#date-error", Static).update(literal(str(exc)))

    @on(OptionList.OptionSelected, "#presets")
    def _apply_preset(self, event: OptionList.OptionSelected) -> None:
        _, since, until = self.presets[int(event.option.id or 0)]
        self.dismiss((since, until))

    def action_cancel(self) -> None:
        self.dismiss(None)


class SearchScreen(ModalScreen[str | None]):
    """Text searched in titles and summaries (case-insensitive); empty clears the search."""

    DEFAULT_CSS = dialog_css("SearchScreen")
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, current: str | None) -> None:
        super().__init__()
        self.current = current or ""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(literal("Search titles and summaries"), classes="dialog-title")
            yield Input(self.current, id="search", placeholder="text (empty: no search)")
            yield Static(literal("Enter applies · Escape cancels"), classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#search", Input).focus()

    @on(Input.Submitted, "#search")
    def _apply(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)
