"""Reading an uploaded table (.xlsx or .csv) safely: checked before any parser opens it, then read with python-calamine.

1. Size: empty and over-limit files are refused.
2. Type by content, not name: a zip is an .xlsx candidate; text that decodes
   as UTF-8 or GBK is a CSV; anything else (a renamed PDF, an old .xls) is refused.
3. For an .xlsx, the archive is walked before calamine sees it: entry count,
   declared sizes and the bytes each entry really unpacks to are bounded (zip
   bombs), XML carrying a DOCTYPE or ENTITY is refused (entity bombs; no
   legitimate workbook has one), and formula cells and merged cells are found
   and named (a formula without a cached value would read as empty, and a
   cached one may not be what the bank meant).
4. Rows beyond the configured maximum are refused, not truncated.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass
from typing import Any

from django.conf import settings

MAX_ENTRIES = 200
MAX_UNPACKED_BYTES = 200 * 1024 * 1024  # all parts of the workbook together
MAX_RATIO = 150  # unpacked / packed of one large part; real sheets stay far below
CHUNK = 1024 * 1024
MAX_COLUMNS = (
    200  # the widest template has 7; a 16,384-column file is refused before anything loops over it
)
FORMULA = re.compile(rb"<f[\s>/]")
FORMULA_CELL = re.compile(rb"<c\b[^>]*?\br=[\"']([A-Z]{1,3}[0-9]{1,7})[\"'][^>]*>\s*<f[\s>/]")
MERGE = re.compile(rb"<mergeCell\b[^>]*?\bref=[\"']([A-Z0-9:]{2,30})[\"']")
DOCTYPE = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)


class FileRefused(ValueError):
    """The file as a whole cannot be read; `problems` says why (Chinese)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("；".join(problems))
        self.problems = problems


@dataclass
class Table:
    header: list[str]
    rows: list[list[Any]]  # cells as read: str, int, float, date, datetime, bool or None
    first_row_number: int = 2  # the spreadsheet row number of rows[0]


def max_rows() -> int:
    return int(getattr(settings, "IMPORT_MAX_ROWS", 100_000))


def read_table(data: bytes, filename: str) -> Table:
    if not data:
        raise FileRefused(["文件为空"])
    limit = settings.UPLOAD_MAX_MB * 1024 * 1024
    if len(data) > limit:
        raise FileRefused(
            [f"文件大小{len(data) / 1024 / 1024:.1f} MB，超过{settings.UPLOAD_MAX_MB} MB的上限"]
        )
    if data.startswith(b"PK\x03\x04"):
        return _read_xlsx(data)
    if filename.lower().endswith(".xlsx"):
        raise FileRefused(["文件内容不是Excel工作簿（.xlsx），请勿只修改扩展名"])
    if not filename.lower().endswith(".csv"):
        raise FileRefused(["只接受 .xlsx 或 .csv 文件"])
    return _read_csv(data)


def _read_csv(data: bytes) -> Table:
    if b"\x00" in data:  # anywhere: a NUL past the first block would reach the database in a cell
        raise FileRefused(["CSV文件含有二进制内容（空字符），不是文本表格"])
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise FileRefused(["CSV文件须为UTF-8或GBK编码"])
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[list[Any]] = []
    limit = max_rows()
    for row in reader:
        rows.append([cell if cell.strip() else None for cell in row])
        if len(rows) > limit + 1:
            raise FileRefused([f"数据超过{limit:,}行的上限，请分批导入"])
    return _table(rows)


def _read_xlsx(data: bytes) -> Table:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise FileRefused(["无法打开该Excel文件（文件已损坏或不是.xlsx）"]) from None
    if len(infos) > MAX_ENTRIES:
        raise FileRefused([f"Excel文件包含{len(infos)}个部件，超过{MAX_ENTRIES}个的上限"])
    if sum(i.file_size for i in infos) > MAX_UNPACKED_BYTES:
        raise FileRefused(["Excel文件解压后过大（疑似压缩炸弹），拒绝读取"])
    names = {i.filename for i in infos}
    if "xl/workbook.xml" not in names:
        raise FileRefused(["文件内容不是Excel工作簿（.xlsx）"])
    formulas: list[str] = []
    has_formula = False
    merges: list[str] = []
    unpacked = 0
    for info in infos:
        if (
            info.file_size > 1024 * 1024
            and info.compress_size
            and info.file_size / info.compress_size > MAX_RATIO
        ):
            raise FileRefused(["Excel文件压缩比异常（疑似压缩炸弹），拒绝读取"])
        is_sheet = info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")
        tail = b""
        try:
            with archive.open(info) as part:
                while chunk := part.read(CHUNK):
                    unpacked += len(chunk)
                    if unpacked > MAX_UNPACKED_BYTES:
                        raise FileRefused(["Excel文件解压后过大（疑似压缩炸弹），拒绝读取"])
                    window = tail + chunk
                    if DOCTYPE.search(window):
                        raise FileRefused(["Excel文件含有XML实体声明（DOCTYPE/ENTITY），拒绝读取"])
                    if is_sheet:
                        if FORMULA.search(window):
                            has_formula = True
                            if len(formulas) < 20:
                                formulas += [m.decode() for m in FORMULA_CELL.findall(window)][
                                    : 20 - len(formulas)
                                ]
                        if b"<mergeCell" in window:
                            merges += [m.decode() for m in MERGE.findall(window)]
                    tail = chunk[-200:]
        except FileRefused:
            raise
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, RuntimeError):
            raise FileRefused(["无法读取该Excel文件（文件已损坏）"]) from None
    problems = []
    if has_formula:
        cells = f"（单元格{'、'.join(dict.fromkeys(formulas))}）" if formulas else ""
        problems.append(f"表格含有公式{cells}，请复制后“选择性粘贴为数值”再导入")
    if merges:
        problems.append(
            f"表格含有合并单元格（{'、'.join(dict.fromkeys(merges))}），请取消合并后再导入"
        )
    if problems:
        raise FileRefused(problems)
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheet = workbook.get_sheet_by_index(0)
    except Exception:
        raise FileRefused(["无法读取该Excel文件"]) from None
    limit = max_rows()
    if sheet.total_height > limit + 1 or sheet.total_width > MAX_COLUMNS:
        if sheet.total_width > MAX_COLUMNS:
            raise FileRefused([f"表格有{sheet.total_width}列，超过200列的上限"])
        raise FileRefused([f"数据超过{limit:,}行的上限，请分批导入"])
    try:
        rows = [[None if cell == "" else cell for cell in row] for row in sheet.iter_rows()]
    except Exception:
        raise FileRefused(["无法读取该Excel文件"]) from None
    if sheet.start and sheet.start[0] > 0:
        rows = [[] for _ in range(sheet.start[0])] + rows
    if sheet.start and sheet.start[1] > 0:
        rows = [[None] * sheet.start[1] + row for row in rows]
    return _table(rows)


def _table(rows: list[list[Any]]) -> Table:
    while rows and not any(c is not None for c in rows[-1]):
        rows.pop()
    if not rows:
        raise FileRefused(["文件中没有内容（第一行应为表头）"])
    width = max(len(row) for row in rows)
    if width > MAX_COLUMNS:  # a CSV has no declared width: count it
        raise FileRefused([f"表格有{width}列，超过{MAX_COLUMNS}列的上限"])
    header = ["" if c is None else _text(c) for c in rows[0]]
    while header and header[-1] == "":
        header.pop()
    body = rows[1:]
    if len(body) > max_rows():
        raise FileRefused([f"数据超过{max_rows():,}行的上限，请分批导入"])
    return Table(header=header, rows=body)


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()
