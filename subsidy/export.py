"""The run as a workbook: detail lines, per-bank totals, loans not subsidized (headers in Chinese, as filed)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import IO, Any

from kedaitong.excel import Column, new_workbook, save, write_sheet

DETAIL = [
    Column("贷款合同编号", 22),
    Column("银行代码", 14),
    Column("企业名称", 30),
    Column("方案版本", 10),
    Column("放款日期", 12, "date"),
    Column("放款金额（元）", 16, "money", total=True),
    Column("年利率（%）", 12, "percent"),
    Column("定价时LPR（%）", 14, "percent"),
    Column("已结算利息（元）", 16, "money", total=True),
    Column("逾期利息（元）", 14, "money", total=True),
    Column("计贴息利息（元）", 16, "money", total=True),
    Column("按比例计算贴息（元）", 18, "money", total=True),
    Column("贴息金额（元）", 16, "money", total=True),
]
BANKS = [
    Column("银行代码", 14),
    Column("银行名称", 30),
    Column("贷款笔数", 10, "int"),
    Column("计贴息利息（元）", 18, "money", total=True),
    Column("按比例计算贴息（元）", 18, "money", total=True),
    Column("贴息金额（元）", 16, "money", total=True),
]
EXCLUDED = [
    Column("贷款合同编号", 22),
    Column("银行代码", 14),
    Column("企业名称", 30),
    Column("原因", 60),
]


def write_run(
    target: IO[bytes] | str,
    *,
    lines: Iterable[Any],
    totals: Iterable[Any],
    exclusions: Iterable[Any],
) -> None:
    """`lines`/`exclusions`: computed (`services.Line`) or stored (`SubsidyLine`) rows; both have these attributes."""
    wb = new_workbook()
    write_sheet(
        wb,
        "贴息明细",
        DETAIL,
        (
            (
                x.contract_no,
                x.bank_code,
                x.enterprise_name,
                x.version_code,
                x.disbursement_date,
                x.principal,
                x.annual_rate,
                x.lpr,
                x.settled_interest,
                x.overdue_interest,
                x.eligible_interest,
                x.computed,
                x.amount,
            )  # fmt: skip
            for x in lines
        ),
    )
    write_sheet(
        wb,
        "按银行汇总",
        BANKS,
        (
            (t.bank_code, t.bank_name, t.loans, t.eligible_interest, t.computed, t.amount)
            for t in totals
        ),
    )
    write_sheet(
        wb,
        "未予贴息",
        EXCLUDED,
        ((x.contract_no, x.bank_code, x.enterprise_name, x.detail) for x in exclusions),
    )
    save(wb, target)
