"""Rows of the access matrix now live in ONE table: tests/access_matrix_table.py (a GET and a POST row per URL name).

Rows left here are still collected (by tests.access_matrix_table.table()) so
nothing breaks while they are moved; add new rows to the table instead.
"""

from __future__ import annotations

from tests.access import Row

ROWS: list[Row] = []
