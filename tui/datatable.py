"""Textual's DataTable, with its rendering caches dropped when column widths change.

DataTable sizes its columns to the rows added when it is next idle, but keys its cell, row and
line caches by a counter that sizing does not advance. When the screen is painted between adding
rows and that idle moment (a busy machine), cells rendered at the columns' first widths (their
labels') stay cached, and the table keeps showing `influ` for `influence-networks` until
something else changes. Advancing the counter after sizing makes those renders miss.
"""

from __future__ import annotations

from collections.abc import Iterable

from textual.widgets import DataTable as TextualDataTable
from textual.widgets.data_table import CellType, RowKey


class DataTable(TextualDataTable[CellType]):
    """A DataTable that never shows cells rendered before its columns were sized."""

    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        super()._update_dimensions(new_rows)
        self._update_count += 1
        self.refresh()
