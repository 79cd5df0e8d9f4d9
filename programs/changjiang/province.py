"""The content of a quarter's post-loan report to the provincial high-tech centre (Changjiang 第十条): figures,
the PDF (templates/pdf/changjiang_provincial_report.html) and the Excel file, built from the banks' filed reports."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone

from applications.models import Program
from kedaitong.excel import Column, new_workbook, save, write_sheet
from kedaitong.models import User
from kedaitong.pdf import Issue, render_pdf
from loans.models import PostLoanReport
from programs.changjiang import rules, selectors

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Content:
    figures: dict[str, Any]
    pdf: bytes
    xlsx: bytes


def figures(program: Program, year: int, quarter: int) -> dict[str, Any]:
    """What the report says in numbers (kept on the report as JSON, amounts as text to the fen)."""
    first, last = rules.quarter_bounds(year, quarter)
    banks = selectors.quarter_reporting(program, year, quarter)
    overdue = selectors.overdue_at(program, last)
    by_code = {b.code: b for b in banks}
    return {
        "program": program.name,
        "authority": program.authority,
        "year": year,
        "quarter": quarter,
        "first": first.isoformat(),
        "last": last.isoformat(),
        "due": sum(b.due for b in banks),
        "filed": sum(b.filed for b in banks),
        "missing": sum(b.missing for b in banks),
        "normal": sum(b.normal for b in banks),
        "watch": sum(b.watch for b in banks),
        "risk": sum(b.risk for b in banks),
        "principal": str(sum((b.principal for b in banks), ZERO)),
        "outstanding": str(sum((b.outstanding for b in banks), ZERO)),
        "overdue_loans": overdue["loans"],
        "overdue_principal": str(overdue["principal"]),
        "banks": [b.as_json() for b in banks],
        "banks_not_reported": [
            {
                "code": code,
                "name": by_code[code].name,
                "due": by_code[code].due,
                "missing": by_code[code].missing,
            }
            for code in sorted(by_code)
            if by_code[code].missing
        ],
    }


def build(
    program: Program, year: int, quarter: int, *, produced_at: dt.datetime, produced_by: User
) -> Content:
    found = figures(program, year, quarter)
    reports = list(selectors.quarter_reports(program, year, quarter))
    missing = list(selectors.quarter_missing(program, year, quarter))
    context = {
        "f": found,
        "first": dt.date.fromisoformat(found["first"]),
        "last": dt.date.fromisoformat(found["last"]),
        "banks": [_money(b) for b in found["banks"]],
        "not_reported": found["banks_not_reported"],
        "worrying": [r for r in reports if r.status != PostLoanReport.Status.NORMAL],
        "missing": missing,
        "produced_on": timezone.localdate(produced_at),
        "produced_by": produced_by,
        "principal": Decimal(found["principal"]),
        "outstanding": Decimal(found["outstanding"]),
        "overdue_principal": Decimal(found["overdue_principal"]),
    }
    pdf = render_pdf(
        "pdf/changjiang_provincial_report.html",
        context,
        # An issued document (issue 21): the quarter's report of the program, a new issue when its figures change.
        issue=Issue(
            kind="changjiang.provincial_report",
            title=f"{found['program']}贷后管理情况报告（{year}年第{quarter}季度）",
            issuer=program.authority,
            subject=f"changjiang.provincial:{program.code}:{year}Q{quarter}",
            actor=produced_by,
        ),
    )
    return Content(figures=found, pdf=pdf, xlsx=workbook(found, reports, missing))


def _money(row: dict[str, Any]) -> dict[str, Any]:
    return row | {
        "principal": Decimal(row["principal"]),
        "outstanding": Decimal(row["outstanding"]),
    }


def workbook(found: dict[str, Any], reports: list[PostLoanReport], missing: list[Any]) -> bytes:
    """Four sheets: the banks' summary, the filed reports, the loans without a report, the banks not reported."""
    wb = new_workbook()
    write_sheet(
        wb,
        "汇总",
        [
            Column("银行", 22),
            Column("应报送笔数", 10, "int"),
            Column("已报送", 8, "int"),
            Column("未报送", 8, "int"),
            Column("正常", 8, "int"),
            Column("关注", 8, "int"),
            Column("风险", 8, "int"),
            Column("放款金额（元）", 16, "money", total=True),
            Column("季末贷款余额（元）", 18, "money", total=True),
        ],
        (
            (
                b["name"],
                b["due"],
                b["filed"],
                b["missing"],
                b["normal"],
                b["watch"],
                b["risk"],
                Decimal(b["principal"]),
                Decimal(b["outstanding"]),
            )
            for b in found["banks"]
        ),
    )
    write_sheet(
        wb,
        "贷后报告",
        [
            Column("贷款合同编号", 18),
            Column("银行", 20),
            Column("企业", 28),
            Column("统一社会信用代码", 20),
            Column("放款金额（元）", 16, "money", total=True),
            Column("评价", 10),
            Column("经营及资金使用情况", 40),
            Column("还本付息情况", 30),
            Column("风险及措施", 40),
            Column("报送人", 12),
            Column("报送日期", 12, "date"),
        ],
        (
            (
                r.loan.contract_no,
                r.loan.bank.name,
                r.loan.enterprise.name,
                r.loan.enterprise.credit_code,
                r.loan.principal,
                r.get_status_display(),
                r.operations,
                r.repayment,
                r.risks,
                str(r.filed_by),
                timezone.localdate(r.filed_at),
            )
            for r in reports
        ),
    )
    write_sheet(
        wb,
        "未报送贷款",
        [
            Column("贷款合同编号", 18),
            Column("银行", 20),
            Column("企业", 28),
            Column("放款金额（元）", 16, "money", total=True),
            Column("放款日期", 12, "date"),
            Column("到期日期", 12, "date"),
        ],
        (
            (
                x.contract_no,
                x.bank.name,
                x.enterprise.name,
                x.principal,
                x.disbursement_date,
                x.maturity_date,
            )
            for x in missing
        ),
    )
    write_sheet(
        wb,
        "未报送银行",
        [
            Column("银行代码", 14),
            Column("银行", 22),
            Column("应报送笔数", 10, "int"),
            Column("未报送笔数", 10, "int"),
        ],
        ((b["code"], b["name"], b["due"], b["missing"]) for b in found["banks_not_reported"]),
    )
    out = io.BytesIO()
    save(wb, out)
    return out.getvalue()
