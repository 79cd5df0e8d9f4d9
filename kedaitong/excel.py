"""Writing ledgers to Excel: streamed, typed cells, and no cell Excel would run as a formula."""

from __future__ import annotations

import datetime as dt
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any

from openpyxl import LXML, Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.cell._writer import write_cell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE
from openpyxl.comments.comment_sheet import CommentRecord
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet._writer import WorksheetWriter

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


# Text written as is by the fast path below: no stand-in, formula prefix, error code, illegal character, nothing to
# truncate and no outer whitespace (openpyxl marks that xml:space="preserve"). Anything else goes through openpyxl.
_PLAIN_TEXT_STARTS = FORMULA_PREFIXES + (CR_STAND_IN,)


class _Sheet(WriteOnlyWorksheet):
    """openpyxl's streaming sheet, given the values of each row instead of a cell object per value.

    Making and serialising a WriteOnlyCell per value through et_xmlfile's element writer was ~90 % of a
    100,000-row export (issue 20: 49 s for the loans ledger). `_RowWriter` writes the common values (plain text,
    Decimal, int, date, naive datetime) as the same XML text openpyxl writes for them, and hands every other value
    to openpyxl as the cell `_cell` makes, so the file is the same byte for byte (tests/kedaitong/test_excel.py).
    """

    def __init__(self, parent: Workbook, title: str, columns: Sequence[Column]) -> None:
        super().__init__(parent, title)
        self.ledger_columns = list(columns)
        self.letters = [get_column_letter(i) for i in range(1, len(columns) + 1)]
        # (column index, type of value) → the cell's style attribute (' s="3"' or ''), found by making the first
        # such cell through `_cell`, at the point openpyxl would register its number format and style.
        self.style_attrs: dict[tuple[int, type], str] = {}

    def _values_to_row(self, values: Sequence[Any], row_idx: int) -> Sequence[Any]:
        return values

    def _get_writer(self) -> None:
        if self._writer is None:
            self._writer = _RowWriter(self)
            self._writer.write_top()

    def cell_for(self, value: Any, col_idx: int, row_idx: int) -> Cell:
        """The cell openpyxl would have been given for this value (or the cell itself, for header and totals)."""
        cell = (
            value
            if isinstance(value, Cell)
            else _cell(self, value, self.ledger_columns[col_idx - 1])
        )
        cell.column = col_idx
        cell.row = row_idx
        if cell.hyperlink is not None:
            cell.hyperlink.ref = cell.coordinate
        return cell

    def style_attr(self, i: int, value: Any) -> str:
        key = (i, type(value))
        attr = self.style_attrs.get(key)
        if attr is None:
            cell = _cell(self, value, self.ledger_columns[i])
            attr = self.style_attrs[key] = f' s="{cell.style_id}"' if cell.has_style else ""
        return attr


class _RowWriter(WorksheetWriter):
    ws: _Sheet

    def write_row(self, xf: Any, row: Sequence[Any], row_idx: int) -> None:
        ws = self.ws
        out = getattr(xf, "_file", None)  # et_xmlfile's text writer; lxml's xmlfile has none
        if out is None or LXML or ws.row_dimensions or ws.parent.iso_dates:
            super().write_row(
                xf,
                [ws.cell_for(v, i, row_idx) for i, v in enumerate(row, 1)],
                row_idx,
            )
            return
        epoch = ws.parent.epoch
        # Numbers as openpyxl's safe_string writes them: "%.16g" of the value as a float (a Decimal's own format
        # would keep its trailing zeros).
        letters = ws.letters
        parts = [f'<row r="{row_idx}">']
        for i, value in enumerate(row):
            kind = type(value)
            if value is None:
                if ws.ledger_columns[i].kind != "percent":
                    continue  # an empty cell without a style is not written
            elif kind is str:
                if (
                    value.strip() == value
                    and value
                    and len(value) <= 32767
                    and not value.startswith(_PLAIN_TEXT_STARTS)
                    and "\r" not in value
                    and value not in ERROR_CODES
                    and not ILLEGAL_CHARACTERS_RE.search(value)
                ):
                    text = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                    parts.append(
                        f'<c r="{letters[i]}{row_idx}"{ws.style_attr(i, value)} t="inlineStr">'
                        f"<is><t>{text}</t></is></c>"
                    )
                    continue
            elif kind is Decimal:
                if value.is_finite():
                    parts.append(
                        f'<c r="{letters[i]}{row_idx}"{ws.style_attr(i, value)} t="n">'
                        f"<v>{float(value):.16g}</v></c>"
                    )
                    continue
            elif kind is int:
                parts.append(
                    f'<c r="{letters[i]}{row_idx}"{ws.style_attr(i, value)} t="n">'
                    f"<v>{float(value):.16g}</v></c>"
                )
                continue
            elif kind is dt.date or (kind is dt.datetime and value.tzinfo is None):
                style = ws.style_attr(i, value)
                parts.append(
                    f'<c r="{letters[i]}{row_idx}"{style} t="n">'
                    f"<v>{float(to_excel(value, epoch)):.16g}</v></c>"
                )
                continue
            # Anything else as openpyxl writes it, after the text gathered so far.
            out("".join(parts))
            parts.clear()
            cell = ws.cell_for(value, i + 1, row_idx)
            if cell._comment is not None:
                ws._comments.append(CommentRecord.from_cell(cell))
            if cell._value is None and not cell.has_style and not cell._comment:
                continue
            write_cell(xf, ws, cell, cell.has_style)
        parts.append("</row>")
        out("".join(parts))


def write_sheet(
    wb: Workbook, title: str, columns: Sequence[Column], rows: Iterable[Sequence[Any]]
) -> None:
    """Append a sheet: bold frozen header, autofilter, widths, rows, then a totals row."""
    ws = _Sheet(wb, title[:31], columns)
    wb._add_sheet(ws)  # what create_sheet does with the write-only sheet it makes
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
    summed = [i for i, column in enumerate(columns) if column.total]
    width = len(columns)
    for row in rows:
        count += 1
        if not isinstance(row, list | tuple):
            row = list(row)
        if len(row) != width:
            raise ValueError(f"row {count} has {len(row)} values for {width} columns")
        for i in summed:
            if row[i] is not None:
                totals[i] += row[i]
        # The values themselves: the sheet's writer makes each cell (_Sheet, _RowWriter).
        ws.append(row)
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
