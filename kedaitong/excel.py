"""Writing ledgers to Excel: streamed, typed cells, and no cell Excel would run as a formula."""

from __future__ import annotations

import datetime as dt
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

# A text cell starting with one of these may be run as a formula by Excel or
# LibreOffice (CSV/DDE injection). Such text is written as an explicit string
# cell, so its value stays whole and is never evaluated.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# A carriage return written as a raw character is turned into a line feed by every XML reader (XML end-of-line
# handling), so the text would not come back whole. Cells carry it as this private-use stand-in, and `save` turns the
# stand-in into the character reference &#13;, which XML readers keep as a carriage return.
CR_STAND_IN = "\ue00d"
MONEY_FORMAT = "#,##0.00"
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"


@dataclass(frozen=True)
class Column:
    header: str
    width: int = 14
    # text | money | date | datetime (naive, local) | int | percent | code (text that stays Latin:
    # a bank code, a user name; pages mark its cells data-verbatim, tests/test_chinese_throughout.py)
    kind: str = "text"
    total: bool = False


def _cell(ws: Any, value: Any, column: Column) -> WriteOnlyCell:
    if isinstance(value, float):
        raise TypeError("no floats in ledgers; use Decimal")
    cell = WriteOnlyCell(ws)
    if isinstance(value, str) and "\r" in value:
        ws.parent._kdt_carriage_returns = True
        value = value.replace("\r", CR_STAND_IN)
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES + (CR_STAND_IN,)):
        cell.value = value
        cell.data_type = "s"  # stored as a shared string, shown as typed, never evaluated
        return cell
    cell.value = value
    if column.kind == "money" and isinstance(value, Decimal):
        cell.number_format = MONEY_FORMAT
    elif column.kind == "datetime" and isinstance(value, dt.datetime):
        cell.number_format = DATETIME_FORMAT
    elif column.kind == "date" and isinstance(value, dt.date):
        cell.number_format = DATE_FORMAT
    elif column.kind == "percent":
        cell.number_format = "0.0000"
    return cell


def write_sheet(
    wb: Workbook, title: str, columns: Sequence[Column], rows: Iterable[Sequence[Any]]
) -> None:
    """Append a sheet: bold frozen header, autofilter, widths, rows, then a totals row."""
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
            cells.append(_cell(ws, value, column))
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
                cell.number_format = MONEY_FORMAT
            else:
                cell = WriteOnlyCell(ws, value=None)
            cell.font = Font(bold=True)
            total_row.append(cell)
        ws.append(total_row)


def new_workbook() -> Workbook:
    return Workbook(write_only=True)


def save(wb: Workbook, target: IO[bytes] | str) -> None:
    if not getattr(wb, "_kdt_carriage_returns", False):
        wb.save(target)
        return
    # Rare: some text holds a carriage return. Write the workbook aside, then copy it with each stand-in made &#13;.
    with tempfile.TemporaryFile() as raw:
        wb.save(raw)
        raw.seek(0)
        stand_in, reference = CR_STAND_IN.encode(), b"&#13;"
        with (
            zipfile.ZipFile(raw) as source,
            zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as copy,
        ):
            for info in source.infolist():
                data = source.read(info)
                if info.filename.startswith("xl/worksheets/") and stand_in in data:
                    data = data.replace(stand_in, reference)
                copy.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
