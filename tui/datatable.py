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

    def size_columns(self) -> None:
        """Size the columns to the rows just added now, as DataTable would when next idle, so
        the next paint already draws them at their widths (instead of painting at the labels'
        widths first and again once sized)."""
        if self._updated_cells:
            updated_cells = self._updated_cells.copy()
            self._updated_cells.clear()
            self._update_column_widths(updated_cells)
        if self._require_update_dimensions:
            self._require_update_dimensions = False
            new_rows = self._new_rows.copy()
            self._new_rows.clear()
            self._update_dimensions(new_rows)
