"""Access-matrix rows of the reports app's own URLs (the core ledger rows are in tests/test_access_matrix.py)."""

from __future__ import annotations

from tests.access import Row, expect, for_government_and_banks

ROWS: list[Row] = [
    # POST only; who may queue it, and the outsiders' 404, are tested in tests/reports/test_batch_pdfs.py.
    Row("reports:annex4-zip", lambda c: "/reports/annex4/meeting/00000000-0000-0000-0000-000000000000/", expect(405)),
]
ROWS.append(Row("reports:annual-statistics", lambda c: "/reports/statistics/annual/", for_government_and_banks()))
