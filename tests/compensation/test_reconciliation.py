"""Issue 16 item 7: the cooperation-end reconciliation (第十一条 5) is whole, and its totals match the ledgers.

第十一条 5: 合作结束…对合作期间发生的业务进行核查，明确合作结束后科贷补偿金还应承担的责任及应收回的已补偿科贷补偿金预计额度.

Bank X's business, worked by hand (every loan of the helpers is 1,000,000.00; the claims ask 400,000.00):

- C1 paid 300,000.00 for a loss of 800,000.00, recovering: gross 100,000.00 − litigation 5,000.00 = net
  95,000.00; the pool's share 95,000.00 × 300,000 / 800,000 = 35,625.00; 10,000.00 returned and confirmed,
  so 25,625.00 still owed; still expected 300,000.00 − 35,625.00 = 264,375.00.
- C2 decided 50,000.00, not paid. C3 in the bureau's review, 400,000.00 requested, its loan repaid 150,000.00.
  C4 rejected by the group: its loan counts again as exposure.
- The cast's loan A (no claim) repaid 234,567.89: 765,432.11 outstanding. Loan HT-DONE repaid in full.
- Loans of bank X: 6 × 1,000,000.00 = 6,000,000.00; repaid 150,000.00 + 234,567.89 + 1,000,000.00 =
  1,384,567.89; outstanding 6,000,000.00 − 1,384,567.89 = 4,615,432.11 (C1, C2, C3's loans, loan A, C4's).
- 还应承担的责任 = 50,000.00 (decided) + 400,000.00 (in review) + 765,432.11 + 1,000,000.00 (loans without a
  claim: loan A and C4's) = 2,215,432.11.
- 应收回的预计额度 = 25,625.00 + 264,375.00 = 290,000.00 (= paid 300,000.00 − returned 10,000.00).
- Bank Y's paid claim of 70,000.00 appears nowhere.
"""

from __future__ import annotations

import datetime as dt
import io
import subprocess
from decimal import Decimal

import pytest
from django.test import Client
from openpyxl import load_workbook

from compensation import services
from loans.models import Repayment
from tests.compensation import helpers
from tests.factories import LoanFactory
from tests.review.helpers import on_day

pytestmark = pytest.mark.django_db

D = Decimal
DAY = dt.date(2026, 12, 15)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def workbook(response) -> dict[str, list[list]]:
    wb = load_workbook(io.BytesIO(response.content))
    return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}


def totals(rows: list[list]) -> dict[str, Decimal]:
    """The 合计 row by header, money columns only."""
    header, last = rows[0], rows[-1]
    assert last[0] == "合计"
    return {h: D(str(v)) for h, v in zip(header, last, strict=True) if "（元）" in h}


def business(cast):
    recovery = helpers.with_recovery(cast, "100000.00", (("litigation", "5000.00"),))
    c1 = recovery.claim
    back = services.return_record(
        actor=cast.bank_x_user,
        recovery=recovery,
        amount="10000.00",
        returned_on=dt.date(2026, 11, 25),
        voucher_no="J1",
    )
    services.return_confirm(actor=cast.auditor, share_return=back)
    c2 = helpers.decided(cast, helpers.bad_loan(cast, contract="HT-DEC"), amount="50000.00")
    c3 = helpers.submitted(cast, helpers.bad_loan(cast, contract="HT-REV"))
    Repayment.objects.create(loan=c3.loan, repaid_on=dt.date(2026, 6, 1), principal=D("150000.00"))
    c4 = helpers.in_group_review(cast, helpers.bad_loan(cast, contract="HT-REJ"))
    services.claim_send_back(actor=cast.leading_group, claim=c4, reject=True, comment="不符合条件")
    Repayment.objects.create(
        loan=cast.loan_a, repaid_on=dt.date(2026, 8, 1), principal=D("234567.89")
    )
    done = LoanFactory(enterprise=cast.enterprise_b, bank=cast.bank_x, contract_no="HT-DONE")
    Repayment.objects.create(loan=done, repaid_on=dt.date(2026, 9, 1), principal=D("1000000.00"))
    other = helpers.paid(
        cast,
        helpers.bad_loan(cast, bank=cast.bank_y, enterprise=cast.enterprise_b, contract="HT-Y"),
        amount="70000.00",
    )
    return c1, c2, c3, c4, other


def test_the_statement_is_whole_per_bank_in_the_page_the_pdf_and_the_workbook(cast):
    c1, c2, c3, c4, other = business(cast)
    with on_day(DAY):
        staff = client_for(cast.bureau_staff)
        page = staff.get(f"/compensation/reconciliation/{cast.bank_x.code}/")
        pdf = staff.get(f"/compensation/reconciliation/{cast.bank_x.code}/reconciliation.pdf")
        xlsx = staff.get(f"/compensation/reconciliation/{cast.bank_x.code}/reconciliation.xlsx")
    rec = page.context["rec"]
    assert rec.as_of == DAY
    assert [x.reference for x in rec.paid] == [c1.reference]
    assert [x.reference for x in rec.decided] == [c2.reference]
    assert [x.reference for x in rec.in_review] == [c3.reference]
    assert (rec.totals.paid, rec.totals.share, rec.totals.returned, rec.totals.confirmed) == (
        D("300000.00"),
        D("35625.00"),
        D("10000.00"),
        D("10000.00"),
    )
    assert (rec.totals.owed, rec.totals.expected, rec.recoverable) == (
        D("25625.00"),
        D("264375.00"),
        D("290000.00"),
    )
    assert (rec.decided_unpaid, rec.in_review_requested) == (D("50000.00"), D("400000.00"))
    loans = {x.contract_no: x for x in rec.loans}
    assert set(loans) == {
        c1.loan.contract_no,
        "HT-DEC",
        "HT-REV",
        cast.loan_a.contract_no,
        "HT-REJ",
    }
    assert loans["HT-REV"].outstanding == D("850000.00") and loans["HT-REV"].exposure == 0
    assert loans[cast.loan_a.contract_no].outstanding == D("765432.11")
    assert loans[cast.loan_a.contract_no].exposure == D("765432.11")
    assert loans["HT-REJ"].exposure == D("1000000.00") and loans["HT-REJ"].claim_reference == ""
    assert rec.loan_totals.outstanding == D("4615432.11")
    assert (rec.exposure, rec.bear) == (D("1765432.11"), D("2215432.11"))

    html = page.content.decode()
    assert 'id="bear-total">2,215,432.11<' in html and 'id="recoverable-total">290,000.00<' in html
    assert other.reference not in html and "HT-Y" not in html and "HT-DONE" not in html

    text = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf.content, capture_output=True, check=True
    ).stdout.decode()
    for words in (
        "还应承担的责任合计（元）",
        "2,215,432.11",
        "应收回预计额度合计（元）",
        "290,000.00",
        "1,765,432.11",
        "4,615,432.11",
        c2.reference,
        c3.reference,
        "HT-REJ",
    ):
        assert words in text, words
    assert other.reference not in text and "Y银行" not in text

    sheets = workbook(xlsx)
    assert list(sheets) == [
        "还应承担的责任",
        "应收回的预计额度",
        "已补偿",
        "已决定未拨付",
        "审核中",
        "贷款余额",
    ]
    bear = sheets["还应承担的责任"]
    assert [(r[0], r[1], D(str(r[2]))) for r in bear[1:-1]] == [
        ("已决定尚未拨付的补偿", 1, D("50000.00")),
        ("审核中的补偿申请", 1, D("400000.00")),
        ("尚无补偿申请的贷款余额", 2, D("1765432.11")),
    ]
    assert totals(bear) == {"金额（元）": D("2215432.11")}
    assert totals(sheets["应收回的预计额度"]) == {"金额（元）": D("290000.00")}
    assert totals(sheets["已补偿"])["拨付金额（元）"] == D("300000.00")
    assert totals(sheets["已决定未拨付"])["决定补偿金额（元）"] == D("50000.00")
    assert totals(sheets["审核中"])["申请补偿金额（元）"] == D("400000.00")
    assert totals(sheets["贷款余额"]) == {
        "放款金额（元）": D("5000000.00"),
        "已还本金（元）": D("384567.89"),
        "贷款余额（元）": D("4615432.11"),
        "风险敞口（元）": D("1765432.11"),
    }


def test_the_statements_totals_match_the_ledgers(cast):
    """The same figures from the ledgers the bureau keeps: the compensation ledger (台账) of bank X, whole and
    by state, the recoveries list, and the loans and repayments ledgers of bank X under the program."""
    business(cast)
    with on_day(DAY):
        staff = client_for(cast.bureau_staff)
        admin = client_for(cast.admin)
        statement = workbook(
            staff.get(f"/compensation/reconciliation/{cast.bank_x.code}/reconciliation.xlsx")
        )
        ledger = totals(
            workbook(staff.get("/compensation/ledger/export.xlsx?bank=bank-x"))["风险补偿台账"]
        )
        by_state = {
            state: totals(
                next(
                    iter(
                        workbook(
                            staff.get(f"/compensation/ledger/export.xlsx?bank=bank-x&state={state}")
                        ).values()
                    )
                )
            )
            for state in ("submitted", "returned", "group_review", "decided")
        }
        recoveries = totals(
            next(
                iter(
                    workbook(staff.get("/compensation/recoveries/export.xlsx?bank=bank-x")).values()
                )
            )
        )
        filters = {"bank": "bank-x", "program": "changjiang"}
        lent = totals(workbook(admin.post("/reports/ledgers/loans/export/", filters)).popitem()[1])
        repaid = totals(
            workbook(admin.post("/reports/ledgers/repayments/export/", filters)).popitem()[1]
        )
    paid = totals(statement["已补偿"])
    decided = totals(statement["已决定未拨付"])
    review = totals(statement["审核中"])
    loans = totals(statement["贷款余额"])
    bear = {r[0]: D(str(r[2])) for r in statement["还应承担的责任"][1:-1]}
    back = {r[0]: D(str(r[2])) for r in statement["应收回的预计额度"][1:-1]}

    # Paid claims carry all the money that moved: the ledger's paid, recovered, owed and expected totals.
    for header in (
        "拨付金额（元）",
        "清收总额（元）",
        "法定费用（元）",
        "清收净额（元）",
        "应交回区财政（元）",
        "已交回（元）",
        "财政已确认（元）",
        "尚应交回（元）",
        "预计仍可收回（元）",
    ):
        assert paid[header] == ledger[header], header
    # What was decided: paid claims' decisions and the decided, unpaid ones.
    assert (
        paid["决定补偿金额（元）"] + decided["决定补偿金额（元）"] == ledger["决定补偿金额（元）"]
    )
    assert (
        decided["决定补偿金额（元）"]
        == by_state["decided"]["决定补偿金额（元）"]
        == bear["已决定尚未拨付的补偿"]
    )
    # In review: the ledger's requested of the states in review.
    in_review = sum(
        (by_state[s]["申请补偿金额（元）"] for s in ("submitted", "returned", "group_review")), D(0)
    )
    assert review["申请补偿金额（元）"] == in_review == bear["审核中的补偿申请"] == D("400000.00")
    # Recoveries: the recoveries list.
    for header in ("应交回区财政（元）", "已交回（元）", "尚应交回（元）"):
        assert recoveries[header] == paid[header], header
    assert back["已清收尚应交回区财政"] == recoveries["尚应交回（元）"] == D("25625.00")
    # Loans: the loans ledger less the repayments ledger; the repaid-in-full loan adds 1,000,000.00 to both.
    assert lent["放款金额（元）"] == D("6000000.00") and repaid["归还本金（元）"] == D("1384567.89")
    assert (
        loans["贷款余额（元）"]
        == lent["放款金额（元）"] - repaid["归还本金（元）"]
        == D("4615432.11")
    )
