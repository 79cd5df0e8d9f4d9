"""Rows of the reports app now live in tests/access_matrix_table.py (the one access table)."""

from __future__ import annotations

from tests.access import Row

ROWS: list[Row] = []
