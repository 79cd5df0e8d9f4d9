"""The compensation ledgers as workbooks (headers in Chinese, money as numbers, a 合计 row), from the page's own rows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import IO, Any

from kedaitong.excel import Column, new_workbook, save, write_sheet

LEDGER = [
    Column("补偿编号", 20),
    Column("银行代码", 12),
    Column("银行名称", 24),
    Column("企业名称", 28),
    Column("贷款合同编号", 20),
    Column("状态", 14),
    Column("逾期起始日", 12, "date"),
    Column("申请补偿金额（元）", 18, "money", total=True),
    Column("决定补偿金额（元）", 18, "money", total=True),
    Column("对应损失（元）", 16, "money", total=True),
    Column("补偿比例（%）", 12, "percent"),
    Column("拨付金额（元）", 16, "money", total=True),
    Column("拨付日期", 12, "date"),
    Column("拨付凭证号", 14),
    Column("清收总额（元）", 16, "money", total=True),
    Column("法定费用（元）", 14, "money", total=True),
    Column("清收净额（元）", 16, "money", total=True),
    Column("应交回区财政（元）", 18, "money", total=True),
    Column("已交回（元）", 14, "money", total=True),
    Column("财政已确认（元）", 16, "money", total=True),
    Column("尚应交回（元）", 16, "money", total=True),
    Column("预计仍可收回（元）", 18, "money", total=True),
    Column("核销日期", 12, "date"),
    Column("核销凭据截止日", 14, "date"),
    Column("凭据逾期", 10),
]

RECOVERIES = [
    Column("补偿编号", 20),
    Column("银行代码", 12),
    Column("企业名称", 28),
    Column("类别", 8),
    Column("清收日期", 12, "date"),
    Column("清收总额（元）", 16, "money", total=True),
    Column("法定费用（元）", 14, "money", total=True),
    Column("清收净额（元）", 16, "money", total=True),
    Column("应交回区财政（元）", 18, "money", total=True),
    Column("已交回（元）", 14, "money", total=True),
    Column("财政已确认（元）", 16, "money", total=True),
    Column("尚应交回（元）", 16, "money", total=True),
    Column("说明", 30),
]

BUDGETS = [
    Column("年度", 8, "int"),
    Column("年度预算（元）", 18, "money", total=True),
    Column("已决定（元）", 18, "money", total=True),
    Column("预算余额（元）", 18, "money", total=True),
    Column("决定笔数", 10, "int"),
    Column("已拨付（元）", 18, "money", total=True),
]


def ledger_rows(lines: Sequence[Any]) -> list[tuple[Any, ...]]:
    return [
        (
            x.reference,
            x.bank_code,
            x.bank_name,
            x.enterprise_name,
            x.contract_no,
            x.state_label,
            x.overdue_since,
            x.requested,
            x.decided,
            x.covered_loss,
            x.ratio,
            x.paid,
            x.paid_on,
            x.voucher_no,
            x.gross,
            x.costs,
            x.net,
            x.share,
            x.returned,
            x.confirmed,
            x.owed,
            x.expected,
            x.written_off_on,
            x.certificate_due_on,
            "是" if x.certificate_late else "",
        )
        for x in lines
    ]


def write_ledger(
    target: IO[bytes] | str, lines: Sequence[Any], title: str = "风险补偿台账"
) -> None:
    wb = new_workbook()
    write_sheet(wb, title, LEDGER, ledger_rows(lines))
    save(wb, target)


def write_recoveries(target: IO[bytes] | str, lines: Sequence[Any]) -> None:
    wb = new_workbook()
    write_sheet(
        wb,
        "清收与交回",
        RECOVERIES,
        [
            (
                x.reference,
                x.bank_code,
                x.enterprise_name,
                x.kind,
                x.received_on,
                x.gross,
                x.costs,
                x.net,
                x.share,
                x.returned,
                x.confirmed,
                x.owed,
                x.note,
            )
            for x in lines
        ],
    )
    save(wb, target)


def write_budgets(target: IO[bytes] | str, lines: Sequence[Any]) -> None:
    wb = new_workbook()
    write_sheet(
        wb,
        "年度补偿预算",
        BUDGETS,
        [(x.year, x.amount, x.committed, x.remaining, x.decisions, x.paid) for x in lines],
    )
    save(wb, target)


def write_reconciliation(target: IO[bytes] | str, rec: Any) -> None:
    wb = new_workbook()
    write_sheet(wb, "合作结束核查", LEDGER, ledger_rows(rec.lines))
    save(wb, target)
