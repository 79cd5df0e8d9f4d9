"""kedaitong.excel writes each row's common values as XML text itself (issue 20: the 100,000-row loans export).

The file must stay what openpyxl wrote from a WriteOnlyCell per value: `reference_write_sheet` is that former
`write_sheet`, and every part of the workbook but its creation time must come out byte for byte the same.
"""

from __future__ import annotations

import datetime as dt
import gc
import io
import zipfile
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from kedaitong import excel

COLUMNS = [
    excel.Column("编号", 16),
    excel.Column("银行代码", 16, "code"),
    excel.Column("金额（元）", 18, "money", total=True),
    excel.Column("日期", 12, "date"),
    excel.Column("时间", 20, "datetime"),
    excel.Column("期限（月）", 10, "int"),
    excel.Column("年利率（%）", 12, "percent"),
    excel.Column("备注", 30),
]

ROWS: list[list[Any]] = [
    ["HT0001", "icbc", Decimal("1234567.89"), dt.date(2025, 1, 31), dt.datetime(2025, 2, 1, 8, 30), 12, Decimal("3.4500"), "甲公司"],
    ["HT0002", "abc", Decimal("0.01"), dt.date(1900, 3, 1), dt.datetime(2025, 2, 1), 0, None, None],
    [None, None, None, None, None, None, None, ""],
    ["=1+1", "+86", Decimal("-5"), "2025-01-01", dt.date(2025, 1, 1), -3, "n/a", "  空格  "],
    ["a & b < c > d", "@x", Decimal("1E+3"), dt.datetime(2025, 3, 1, 12), None, 10**17, 7, "\t制表"],
    ["line\r\nnext", "#N/A", Decimal("12345678901234567.89"), dt.date(2025, 12, 31), dt.datetime(2025, 12, 31, 23, 59, 59), True, Decimal("0"), "#DIV/0!"],
    ["x" * 40000, "ok", 5, dt.date(2025, 6, 1), dt.datetime(2025, 6, 1, 1, 2, 3, 456000), 1, Decimal("NaN"), "尾随 "],
    ["中文\n换行", "'quoted'", Decimal("3.1000"), None, None, None, Decimal("3.1000"), '"引号"'],
]  # fmt: skip


def reference_write_sheet(
    wb: Any, title: str, columns: Sequence[excel.Column], rows: Iterable[Sequence[Any]]
) -> None:
    """kedaitong.excel.write_sheet as it was: a cell per value through `_cell`, appended to openpyxl's sheet."""
    ws = wb.create_sheet(title=title[:31])
    for i, column in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = column.width
    ws.freeze_panes = "A2"
    header = []
    for column in columns:
        cell = WriteOnlyCell(ws, value=column.header)
        cell.font = Font(bold=True)
        header.append(cell)
    ws.append(header)
    totals = [Decimal("0")] * len(columns)
    count = 0
    for row in rows:
        count += 1
        cells = []
        for i, (value, column) in enumerate(zip(row, columns, strict=True)):
            if column.total and value is not None:
                totals[i] += value
            cells.append(excel._cell(ws, value, column))
        ws.append(cells)
    last = get_column_letter(len(columns))
    ws.auto_filter.ref = f"A1:{last}{count + 1}"
    if any(c.total for c in columns):
        total_row = []
        for i, column in enumerate(columns):
            if i == 0:
                cell = WriteOnlyCell(ws, value="合计")
            elif column.total:
                cell = WriteOnlyCell(ws, value=totals[i])
                cell.number_format = excel.MONEY_FORMAT
            else:
                cell = WriteOnlyCell(ws, value=None)
            cell.font = Font(bold=True)
            total_row.append(cell)
        ws.append(total_row)


def parts(
    write: Any, sheets: Sequence[tuple[str, Sequence[excel.Column], list[list[Any]]]]
) -> dict[str, bytes]:
    wb = excel.new_workbook()
    for title, columns, rows in sheets:
        write(wb, title, columns, rows)
    buffer = io.BytesIO()
    excel.save(wb, buffer)
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as archive:
        # docProps/core.xml carries the time of writing; everything else must be the same.
        return {n: archive.read(n) for n in archive.namelist() if n != "docProps/core.xml"}


@pytest.mark.parametrize(
    "sheets",
    [
        [("台账", COLUMNS, ROWS)],
        # Each row on its own, and in another order: the styles are numbered in the order openpyxl met them.
        *[[("台账", COLUMNS, [row])] for row in ROWS],
        [("台账", COLUMNS, ROWS[::-1]), ("第二", COLUMNS[::-1], [r[::-1] for r in ROWS])],
        [("空", COLUMNS, [])],
        [("无合计", [excel.Column("名称"), excel.Column("日期", kind="date")], [["甲", dt.date(2025, 1, 1)], ["乙", None]])],
    ],
)  # fmt: skip
def test_the_workbook_is_byte_for_byte_what_a_cell_per_value_wrote(sheets, monkeypatch):
    expected = parts(reference_write_sheet, sheets)
    assert parts(excel.write_sheet, sheets) == expected
    # Where openpyxl writes through lxml, every row goes through openpyxl's cells: the same file again.
    monkeypatch.setattr(excel, "LXML", True)
    assert parts(excel.write_sheet, sheets) == expected


def test_a_row_may_be_any_iterable_and_is_read_back_as_written():
    wb = excel.new_workbook()
    excel.write_sheet(wb, "台账", COLUMNS[:3], (iter(r[:3]) for r in ROWS[:2]))
    buffer = io.BytesIO()
    excel.save(wb, buffer)
    ws = load_workbook(io.BytesIO(buffer.getvalue()))["台账"]
    assert [c.value for c in ws[2]] == ["HT0001", "icbc", 1234567.89]
    assert ws["C2"].number_format == excel.MONEY_FORMAT
    assert [c.value for c in ws[4]] == ["合计", None, 1234567.9]


@pytest.mark.parametrize(
    ("row", "error"),
    [
        (["HT1", "b"], ValueError),  # a value short
        (["HT1", "b", Decimal("1"), None, None, None, None, None, "extra"], ValueError),
        (["HT1", "b", Decimal("1"), None, None, None, 1.5, None], TypeError),  # no floats
        (["HT1", "b", Decimal("1"), None, dt.datetime(2025, 1, 1, tzinfo=dt.UTC), None, None, None], TypeError),
        (["HT1\x01", "b", Decimal("1"), None, None, None, None, None], Exception),  # illegal character
    ],
)  # fmt: skip
@pytest.mark.filterwarnings(
    "ignore::pytest.PytestUnraisableExceptionWarning"
)  # the abandoned sheet's stream
def test_what_openpyxl_refused_is_still_refused(row, error):
    wb = excel.new_workbook()
    with pytest.raises(error):
        excel.write_sheet(wb, "台账", COLUMNS, [row])
        excel.save(wb, io.BytesIO())
    del wb
    gc.collect()  # the abandoned sheet's stream ends here, under this test's filter, not in a later test


def test_common_values_are_written_without_a_cell_each(monkeypatch):
    """The fast path is taken: `_cell` makes one cell per column and type of value (its style), not one per value."""
    made = []
    real = excel._cell

    def counted(ws: Any, value: Any, column: excel.Column) -> Any:
        made.append(value)
        return real(ws, value, column)

    monkeypatch.setattr(excel, "_cell", counted)
    rows = [row for row in ROWS[:2] for _ in range(500)]
    wb = excel.new_workbook()
    excel.write_sheet(wb, "台账", COLUMNS, rows)
    excel.save(wb, io.BytesIO())
    # Two rows' worth of styles, and the percent column's empty cells (styled, so written by openpyxl).
    assert len(made) <= 2 * len(COLUMNS) + 500
