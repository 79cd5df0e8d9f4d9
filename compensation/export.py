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


# 第十一条 5: the two summaries of the statement; each row's amount adds up to the figure the article names.
RECONCILIATION_SUMMARY = [
    Column("项目", 30),
    Column("笔数", 8, "int"),
    Column("金额（元）", 18, "money", total=True),
    Column("核查截止日", 12, "date"),
    Column("说明", 60),
]

LOANS_OUTSTANDING = [
    Column("贷款合同编号", 20),
    Column("企业名称", 28),
    Column("放款日期", 12, "date"),
    Column("到期日期", 12, "date"),
    Column("放款金额（元）", 16, "money", total=True),
    Column("已还本金（元）", 16, "money", total=True),
    Column("贷款余额（元）", 16, "money", total=True),
    Column("是否到期", 8),
    Column("逾期天数", 8, "int"),
    Column("补偿申请编号", 20),
    Column("补偿申请状态", 14),
    Column("风险敞口（元）", 16, "money", total=True),
]


def reconciliation_summaries(rec: Any) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """(还应承担的责任 rows, 应收回的预计额度 rows): what each sums, said in words, as of the statement's day."""
    day = rec.as_of
    bear = [
        (
            "已决定尚未拨付的补偿",
            len(rec.decided),
            rec.decided_unpaid,
            day,
            "领导专班已决定补偿、尚未拨付的金额",
        ),
        (
            "审核中的补偿申请",
            len(rec.in_review),
            rec.in_review_requested,
            day,
            "区科技局或领导专班审核中、或退回银行补正的申请，按银行申请补偿金额计（最高额）",
        ),
        (
            "尚无补偿申请的贷款余额",
            rec.exposure_loans,
            rec.exposure,
            day,
            "合作期间发放、尚未还清且没有补偿申请的贷款本金：科贷补偿金可能承担的最高额",
        ),
    ]
    back = [
        (
            "已清收尚应交回区财政",
            sum(1 for x in rec.lines if x.owed > 0),
            rec.totals.owed,
            day,
            "清收净额按补偿比例应交回、尚未交回的部分",
        ),
        (
            "已补偿尚未收回（预计仍可收回）",
            rec.open_claims,
            rec.totals.expected,
            day,
            "仍在追偿的已补偿申请：拨付金额减已清收应交回部分，为最多可收回额",
        ),
    ]
    return bear, back


def loan_rows(rec: Any) -> list[tuple[Any, ...]]:
    return [
        (
            x.contract_no,
            x.enterprise_name,
            x.disbursement_date,
            x.maturity_date,
            x.principal,
            x.repaid,
            x.outstanding,
            "是" if x.matured else "否",
            x.days_past_due,
            x.claim_reference,
            x.claim_state,
            x.exposure,
        )
        for x in rec.loans
    ]


def write_reconciliation(target: IO[bytes] | str, rec: Any) -> None:
    """第十一条 5, one workbook: the two summaries, then the claims paid, decided but unpaid and in review (the
    ledger's columns), and the loans outstanding; every sheet ends with its 合计 row."""
    bear, back = reconciliation_summaries(rec)
    wb = new_workbook()
    write_sheet(wb, "还应承担的责任", RECONCILIATION_SUMMARY, bear)
    write_sheet(wb, "应收回的预计额度", RECONCILIATION_SUMMARY, back)
    write_sheet(wb, "已补偿", LEDGER, ledger_rows(rec.lines))
    write_sheet(wb, "已决定未拨付", LEDGER, ledger_rows(rec.decided))
    write_sheet(wb, "审核中", LEDGER, ledger_rows(rec.in_review))
    write_sheet(wb, "贷款余额", LOANS_OUTSTANDING, loan_rows(rec))
    save(wb, target)
