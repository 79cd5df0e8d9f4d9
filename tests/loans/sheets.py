"""Writing test spreadsheets and CSVs with exactly the cells a bank's file would have."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook

INTEREST = [
    "贷款合同编号",
    "银行代码",
    "结息日期",
    "计息起始日",
    "计息截止日",
    "利息金额（元）",
    "是否逾期利息",
]
DISBURSEMENTS = [
    "贷款合同编号",
    "银行代码",
    "统一社会信用代码",
    "合同签订日期",
    "放款日期",
    "到期日期",
    "放款金额（元）",
    "年利率（%）",
]
REPAYMENTS = ["贷款合同编号", "银行代码", "还款日期", "归还本金（元）"]
OVERDUE = ["贷款合同编号", "银行代码", "逾期起始日", "逾期本金（元）", "逾期利息（元）", "结清日期"]
BANKS = ["银行代码", "银行名称", "合作协议起始日", "合作协议到期日"]
ENTERPRISES = ["统一社会信用代码", "企业名称", "注册地"]


def xlsx(
    header: Sequence[str], rows: Sequence[Sequence[Any]], *, merge: str | None = None
) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(list(header))
    for row in rows:
        ws.append(list(row))
    if merge:
        ws.merge_cells(merge)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def csv_bytes(
    header: Sequence[str], rows: Sequence[Sequence[Any]], encoding: str = "utf-8"
) -> bytes:
    lines = [",".join(header)] + [
        ",".join("" if v is None else f'"{v}"' if "," in str(v) else str(v) for v in r)
        for r in rows
    ]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)
