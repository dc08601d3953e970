"""The panel's OptionList redraws only the option whose prompt was replaced."""

from __future__ import annotations

from textual.app import App, ComposeResult

from tui.optionlist import OptionList


class ListApp(App[None]):
    def compose(self) -> ComposeResult:
        yield OptionList("Granularity\n  month", "Metric\n  count", "Split\n  off", id="rows")


def drawn(rows: OptionList) -> dict[object, object]:
    cache = rows._option_render_cache
    return {key[0].prompt: cache.get(key) for key in list(cache.keys())}


def shown(rows: OptionList) -> str:
    return "\n".join(rows.render_line(y).text for y in range(rows.size.height))


async def test_replaced_prompt_is_drawn_and_the_others_keep_their_drawing() -> None:
    app = ListApp()
    async with app.run_test(size=(40, 12)) as pilot:
        rows = app.query_one(OptionList)
        await pilot.pause()
        assert "month" in shown(rows)
        kept = drawn(rows)
        rows.replace_option_prompt_at_index(1, "Metric\n  share")
        await pilot.pause()
        text = shown(rows)
        assert "share" in text and "count" not in text and "month" in text and "off" in text
        after = drawn(rows)
        assert after["Granularity\n  month"] is kept["Granularity\n  month"]  # not redrawn
        assert after["Split\n  off"] is kept["Split\n  off"]
        rows.replace_option_prompt_at_index(2, "Split\n  by region\n  (3 regions)")  # taller
        await pilot.pause()
        assert "(3 regions)" in shown(rows) and rows.option_count == 3
