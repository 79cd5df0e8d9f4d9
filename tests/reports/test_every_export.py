"""Every Excel export of the portal, opened with openpyxl, with data present.

For each workbook and each of its sheets: Chinese headers, a frozen header row, an autofilter over the header and
the data, column widths, money cells numeric with #,##0.00, date cells real dates, and a 合计 row equal to the sum of
the cells above it. The main sheet's totals equal the database's sums (exact Decimals), and the page's filters apply:
a filtered export has fewer rows and the filtered database totals.

Which columns hold money or dates is read from the headers (「（元）」, 「…日期」/「…日」), not from the code under test.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.db.models import Q
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from applications.models import Application
from compensation.models import Claim, CompensationBudget, Recovery
from loans.models import InterestSettlement, Loan, OverdueEvent, PostLoanReport, Repayment
from subsidy.models import SubsidyLine, SubsidyRun
from subsidy.services import run_commit
from tests.compensation import helpers
from tests.factories import ApplicationFactory

pytestmark = pytest.mark.django_db
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CJK = re.compile(r"[\u4e00-\u9fff]")


def is_money(header: str) -> bool:
    return "（元）" in header


def is_date(header: str) -> bool:
    return header.endswith("日期") or header.endswith("日")


def money(value: Any) -> Decimal:
    return Decimal(str(value))


def db_sum(qs: Any, field: str) -> Decimal:
    """The exact sum of the stored values (Python Decimals: SQLite's SUM adds binary floats)."""
    return sum((v for v in qs.values_list(field, flat=True) if v is not None), Decimal("0"))


@dataclass
class World:
    cast: Any
    qz: Any
    run: SubsidyRun


@pytest.fixture
def world(cast, qz):
    # Loans ledgers: loans of both banks, repayments, interest, arrears, applications.
    Repayment.objects.create(
        loan=cast.loan_a, repaid_on=dt.date(2026, 3, 1), principal=Decimal("1234.56")
    )
    Repayment.objects.create(
        loan=cast.loan_b, repaid_on=dt.date(2026, 3, 2), principal=Decimal("200000.01")
    )
    for loan, amount in ((cast.loan_a, "3600.10"), (cast.loan_b, "999.99")):
        InterestSettlement.objects.create(
            loan=loan,
            settled_on=dt.date(2026, 3, 20),
            period_start=dt.date(2026, 2, 10),
            period_end=dt.date(2026, 3, 20),
            amount=Decimal(amount),
        )
    OverdueEvent.objects.create(
        loan=cast.loan_a,
        started_on=dt.date(2026, 1, 5),
        overdue_principal=Decimal("10.55"),
        overdue_interest=Decimal("1.05"),
    )
    OverdueEvent.objects.create(
        loan=cast.loan_b, started_on=dt.date(2026, 2, 5), overdue_principal=Decimal("20.45")
    )
    ApplicationFactory(enterprise=cast.enterprise_a, bank=cast.bank_x, amount=Decimal("123456.78"))
    # Post-loan reports: two in 2026 Q1, one in 2026 Q2.
    for loan, quarter in ((cast.loan_a, 1), (cast.loan_b, 1), (cast.loan_a, 2)):
        PostLoanReport.objects.create(
            loan=loan,
            year=2026,
            quarter=quarter,
            status="normal",
            operations="经营正常",
            filed_by=cast.bank_x_user,
        )
    # Compensation: two budgets, two recovering claims (enterprises A and B), each with a recovery.
    helpers.budget(cast, "1000000.00", 2026)
    helpers.budget(cast, "500000.00", 2025)
    from compensation import services as comp

    for enterprise, gross in ((cast.enterprise_a, "100000.00"), (cast.enterprise_b, "33333.33")):
        claim = helpers.recovering(
            cast, helpers.bad_loan(cast, enterprise=enterprise), amount="300000.00"
        )
        comp.recovery_record(
            actor=cast.bank_x_user,
            claim=claim,
            received_on=dt.date(2026, 11, 24),
            gross=gross,
            costs=[comp.CostInput("litigation", "5000.00", helpers.pdf("litigation.pdf"))],
        )
    # Subsidy: two runs (2024 and 2025) so the runs ledger can be filtered by cutoff.
    qz.interest(
        qz.loan(contract="QZ-24", disbursed=dt.date(2024, 5, 1)),
        "80.00",
        settled=dt.date(2024, 12, 21),
    )
    qz.interest(qz.loan(contract="QZ-A"), "100.00")
    qz.interest(qz.loan(contract="QZ-A2"), "50.05")
    qz.interest(qz.loan(contract="QZ-B", bank=qz.bank_b), "233.33")
    run_commit(
        actor=qz.staff, program=qz.program, year=2024, budget="1000", cutoff=dt.date(2025, 3, 15)
    )
    run = run_commit(
        actor=qz.staff, program=qz.program, year=2025, budget="1000", cutoff=dt.date(2026, 3, 15)
    )
    return World(cast=cast, qz=qz, run=run)


@dataclass(frozen=True)
class Export:
    """One export: how to fetch it (with or without its filter) and the database totals of its main sheet."""

    name: str
    fetch: Callable[[Any, World, dict[str, str]], Any]
    totals: Callable[
        [World, bool], dict[str, Decimal]
    ]  # header → database sum, unfiltered / filtered
    filters: (
        dict[str, str] | None
    )  # the page's filter that leaves fewer rows (None: the page has none)
    sheet: str | None = None  # main sheet (None: the first)
    program: str = (
        "changjiang"  # the program the administrator works in for it (the program switch)
    )


def ledger(code: str) -> Callable[[Any, World, dict[str, str]], Any]:
    return lambda client, w, params: client.post(f"/reports/ledgers/{code}/export/", params)


def get(url: str | Callable[[World], str]) -> Callable[[Any, World, dict[str, str]], Any]:
    return lambda client, w, params: client.get(url(w) if callable(url) else url, params)


def _filtered(qs: Any, filtered: bool, **where: Any) -> Any:
    return qs.filter(**where) if filtered else qs


CJ = {"program_version__program__code": "changjiang"}  # exports show the program the user works in
CJ_LOAN = {"loan__program_version__program__code": "changjiang"}
QZ = {"program_version__program__code": "quzhou"}
QZ_LOAN = {"loan__program_version__program__code": "quzhou"}


def _claims(w: World, filtered: bool) -> Any:
    return _filtered(
        Claim.objects.filter(program=w.cast.changjiang),
        filtered,
        loan__enterprise__name="乙科技有限公司",
    )


EXPORTS = [
    Export(
        "applications",
        ledger("applications"),
        lambda w, f: {
            "申请金额（元）": db_sum(
                _filtered(Application.objects.filter(**CJ), f, bank__code="bank-x"), "amount"
            )
        },
        {"bank": "bank-x"},
    ),
    Export(
        "loans",
        ledger("loans"),
        lambda w, f: {
            "放款金额（元）": db_sum(
                _filtered(Loan.objects.filter(**CJ), f, bank__code="bank-x"), "principal"
            )
        },
        {"bank": "bank-x"},
    ),
    Export(
        "repayments",
        ledger("repayments"),
        lambda w, f: {
            "归还本金（元）": db_sum(
                _filtered(Repayment.objects.filter(**CJ_LOAN), f, loan__bank__code="bank-x"),
                "principal",
            )
        },
        {"bank": "bank-x"},
    ),
    Export(
        "interest",
        ledger("interest"),
        lambda w, f: {
            "利息金额（元）": db_sum(
                _filtered(
                    InterestSettlement.objects.filter(**CJ_LOAN), f, loan__bank__code="bank-x"
                ),
                "amount",
            )
        },
        {"bank": "bank-x"},
    ),
    Export(
        "delinquency",
        ledger("delinquency"),
        lambda w, f: {
            "逾期本金（元）": db_sum(
                _filtered(
                    OverdueEvent.objects.filter(**CJ_LOAN), f, started_on__gte=dt.date(2026, 2, 1)
                ),
                "overdue_principal",
            ),
            "逾期利息（元）": db_sum(
                _filtered(
                    OverdueEvent.objects.filter(**CJ_LOAN), f, started_on__gte=dt.date(2026, 2, 1)
                ),
                "overdue_interest",
            ),
        },
        {"date_from": "2026-02-01"},
    ),
    Export(
        "subsidy-runs",
        ledger("subsidy-runs"),
        lambda w, f: {
            header: db_sum(
                _filtered(SubsidyRun.objects.all(), f, cutoff__gte=dt.date(2026, 1, 1)), field
            )
            for header, field in (
                ("年度预算（元）", "budget"),
                ("按贴息比例计算（元）", "computed_total"),
                ("核定贴息（元）", "total"),
            )
        },
        {"date_from": "2026-01-01"},
        program="quzhou",
    ),
    Export(
        "compensation-ledger",
        get("/compensation/ledger/export.xlsx"),
        lambda w, f: {
            "申请补偿金额（元）": db_sum(_claims(w, f), "requested_amount"),
            "决定补偿金额（元）": db_sum(_claims(w, f), "decision__amount"),
            "拨付金额（元）": db_sum(_claims(w, f), "payments__amount"),
            "清收总额（元）": db_sum(Recovery.objects.filter(claim__in=_claims(w, f)), "gross"),
        },
        {"q": "乙科技"},
    ),
    Export(
        "compensation-recoveries",
        get("/compensation/recoveries/export.xlsx"),
        lambda w, f: {
            "清收总额（元）": db_sum(Recovery.objects.filter(claim__in=_claims(w, f)), "gross")
        },
        {"q": "乙科技"},
    ),
    Export(
        "compensation-budgets",
        get("/compensation/budgets/export.xlsx"),
        lambda w, f: {
            "年度预算（元）": db_sum(
                CompensationBudget.objects.filter(program=w.cast.changjiang), "amount"
            ),
            "已决定（元）": db_sum(
                CompensationBudget.objects.filter(program=w.cast.changjiang), "committed"
            ),
        },
        None,
    ),
    Export(
        "subsidy-run",
        get(lambda w: f"/subsidy/runs/{w.run.pk}/export.xlsx"),
        lambda w, f: {
            "贴息金额（元）": db_sum(SubsidyLine.objects.filter(run=w.run), "amount"),
            "放款金额（元）": db_sum(SubsidyLine.objects.filter(run=w.run), "principal"),
        },
        None,
        sheet="贴息明细",
        program="quzhou",
    ),
    Export(
        "post-loan-reports",
        lambda client, w, params: client.get(
            "/loans/reports/export.xlsx", params or {"year": "2026", "quarter": "1"}
        ),
        lambda w, f: {
            "放款金额（元）": db_sum(
                Loan.objects.filter(
                    Q(post_loan_reports__year=2026) & Q(post_loan_reports__quarter=2 if f else 1),
                    **CJ,
                ),
                "principal",
            )
        },
        {"year": "2026", "quarter": "2"},
    ),
]


def _bank_subsidy(client: Any, w: World, params: dict[str, str]) -> Any:
    SubsidyRun.objects.filter(pk=w.run.pk).update(
        state="publicized"
    )  # banks see a run once it is public
    client.force_login(w.qz.bank_user)
    return client.get(f"/subsidy/bank/{w.run.pk}/export.xlsx", params)


EXPORTS += [
    Export(
        "compensation-reconciliation",
        get("/compensation/reconciliation/bank-x/reconciliation.xlsx"),
        lambda w, f: {
            "拨付金额（元）": db_sum(Claim.objects.filter(bank=w.cast.bank_x), "payments__amount"),
            "清收总额（元）": db_sum(Recovery.objects.filter(claim__bank=w.cast.bank_x), "gross"),
        },
        None,
        sheet="已补偿",
    ),
    Export(
        "bank-subsidy",
        _bank_subsidy,
        lambda w, f: {
            "贴息金额（元）": db_sum(
                SubsidyLine.objects.filter(run=w.run, bank=w.qz.bank_a), "amount"
            )
        },
        None,
        sheet="贴息明细",
    ),
    Export(
        "statistics-by-bank",
        lambda client, w, params: client.post(
            "/reports/statistics/", params or {"date_from": "2024-01-01", "date_to": "2026-12-31"}
        ),
        lambda w, f: {
            "期内放款金额（元）": db_sum(
                Loan.objects.filter(
                    disbursement_date__range=("2024-01-01", "2024-12-31" if f else "2026-12-31"),
                    **QZ,
                ),
                "principal",
            ),
            "期内结算利息（元）": db_sum(
                InterestSettlement.objects.filter(
                    settled_on__range=("2024-01-01", "2024-12-31" if f else "2026-12-31"),
                    **QZ_LOAN,
                ),
                "amount",
            ),
        },
        {"date_from": "2024-01-01", "date_to": "2024-12-31"},
        program="quzhou",
    ),
    Export(
        "annual-statistics",
        lambda client, w, params: client.post(
            "/reports/statistics/annual/", params or {"year": "2025"}
        ),
        lambda w, f: {
            "放款金额（元）": db_sum(
                Loan.objects.filter(disbursement_date__year=2024 if f else 2025, **QZ), "principal"
            ),
            "贴息金额（元）": db_sum(
                SubsidyLine.objects.filter(run__year=2024 if f else 2025).exclude(
                    run__state="cancelled"
                ),
                "amount",
            ),
        },
        {"year": "2024"},
        program="quzhou",
    ),
]


def open_workbook(response: Any) -> Any:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == XLSX
    content = (
        response.content if hasattr(response, "content") else b"".join(response.streaming_content)
    )
    return load_workbook(io.BytesIO(content))


def check_sheet(ws: Any) -> tuple[int, dict[str, Decimal]]:
    """The checks every sheet passes; returns (data rows, money totals by header)."""
    headers = [c.value for c in ws[1]]
    assert headers and all(isinstance(h, str) and CJK.search(h) for h in headers), headers
    assert len(set(headers)) == len(headers)
    assert ws.freeze_panes == "A2"
    for i, header in enumerate(headers, start=1):
        dim = ws.column_dimensions[get_column_letter(i)]
        assert dim.customWidth and dim.width >= 8, (header, dim.width)
    rows = list(ws.iter_rows(min_row=2))
    has_totals = any(is_money(h) for h in headers)
    data = rows[:-1] if has_totals else rows
    assert ws.auto_filter.ref == f"A1:{get_column_letter(len(headers))}{len(data) + 1}"
    totals: dict[str, Decimal] = {}
    for i, header in enumerate(headers):
        cells = [row[i] for row in data]
        if is_money(header):
            for cell in cells:
                if cell.value is not None:
                    assert cell.data_type == "n" and cell.number_format == "#,##0.00", (
                        header,
                        cell.value,
                    )
            column_sum = sum((money(c.value) for c in cells if c.value is not None), Decimal("0"))
            total_cell = rows[-1][i]
            assert total_cell.data_type == "n" and total_cell.number_format == "#,##0.00"
            assert money(total_cell.value) == column_sum, header
            totals[header] = money(total_cell.value)
        elif is_date(header):
            for cell in cells:
                assert cell.value is None or isinstance(cell.value, dt.datetime), (
                    header,
                    cell.value,
                )
                assert cell.value is None or cell.number_format == "yyyy-mm-dd"
    if has_totals:
        assert rows[-1][0].value == "合计"
    assert all(row[0].value != "合计" for row in data)
    return len(data), totals


@pytest.mark.parametrize("export", EXPORTS, ids=[e.name for e in EXPORTS])
def test_every_export_opens_typed_with_totals_equal_to_the_database(client, world, export):
    client.force_login(world.cast.admin)
    client.post("/program/switch/", {"program": export.program})
    wb = open_workbook(export.fetch(client, world, {}))
    main = wb[export.sheet] if export.sheet else wb.worksheets[0]
    results = {ws.title: check_sheet(ws) for ws in wb.worksheets}
    count, totals = results[main.title]
    assert count >= 2, "the main sheet has data"
    expected = export.totals(world, False)
    assert expected and all(value != 0 for value in expected.values())
    for header, value in expected.items():
        assert totals[header] == value, header
    if export.filters is None:
        return
    filtered_wb = open_workbook(export.fetch(client, world, export.filters))
    filtered = filtered_wb[export.sheet] if export.sheet else filtered_wb.worksheets[0]
    filtered_count, filtered_totals = check_sheet(filtered)
    assert 0 < filtered_count < count
    for header, value in export.totals(world, True).items():
        assert filtered_totals[header] == value, header


def test_the_exports_cover_every_ledger():
    from reports.ledgers import LEDGERS

    assert set(LEDGERS) <= {e.name for e in EXPORTS}


FORMULA_LIKE = [
    '=HYPERLINK("http://x")',
    "+86 123",
    "-5",
    "@SUM(A1)",
    "\tcmd",
    "\r=1+2",
    "甲\r\n乙",
]


@pytest.mark.parametrize("text", FORMULA_LIKE)
def test_formula_like_text_leaves_every_ledger_whole_as_text(client, cast, text):
    from loans.models import Loan

    Loan.objects.filter(pk=cast.loan_a.pk).update(contract_no=text)
    type(cast.enterprise_a).objects.filter(pk=cast.enterprise_a.pk).update(name=text)
    Repayment.objects.create(
        loan=cast.loan_a, repaid_on=dt.date(2026, 3, 1), principal=Decimal("1.00")
    )
    client.force_login(cast.admin)
    for code, column in (("loans", 1), ("repayments", 1), ("applications", 3)):
        ws = open_workbook(
            client.post(f"/reports/ledgers/{code}/export/", {"bank": "bank-x"})
        ).worksheets[0]
        cell = ws.cell(row=2, column=column)
        assert cell.value == text and cell.data_type == "s", (code, cell.value)
