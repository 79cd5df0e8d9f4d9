"""Overdue is derived, not only declared (issue 16 item 1).

Found: QZA-2025-012, matured 2026-01-14 with 700,000 yuan outstanding, showed
"逾期天数 0 · 正常", counted as normal in the NPL ratio and appeared among the
enterprises for priority renewal, because only the bank's overdue records counted.

The rule (`loans.delinquency.past_maturity`): a loan past its maturity date with
principal outstanding is overdue from the next day until the repayment that clears
it; the bank's overdue records count on top, the oldest open period decides. Days
past due on day D = D − the first overdue day (as for the bank's records).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command

from applications.models import ProgramVersion
from kedaitong.models import AuditEntry
from kedaitong.roles import Role
from loans.delinquency import Bucket, past_maturity
from loans.models import OverdueEvent, Repayment
from review import selectors as review_selectors
from review.models import BlacklistEntry
from tests.clock import bureau
from tests.factories import BankFactory, EnterpriseFactory, LoanFactory, UserFactory

pytestmark = pytest.mark.django_db
TODAY = bureau(2026, 12, 3)


@pytest.fixture
def qza(db, time_machine):
    """The demo's loan: 1,000,000 at 3.10% from 2025-01-15 to 2026-01-14, 300,000 repaid on 2025-07-15,
    and a current loan of 1,000,000 of the same bank."""
    time_machine.move_to(TODAY, tick=False)
    quzhou = ProgramVersion.objects.get(program__code="quzhou", code="2023")
    bank = BankFactory(code="qz-demo-a", name="衢州示范银行")
    enterprise = EnterpriseFactory(name="衢州智慧芯联信息技术有限公司")
    loan = LoanFactory(
        program_version=quzhou,
        bank=bank,
        enterprise=enterprise,
        contract_no="QZA-2025-012",
        disbursement_date=dt.date(2025, 1, 15),
        maturity_date=dt.date(2026, 1, 14),
        principal=Decimal("1000000.00"),
        annual_rate=Decimal("3.1000"),
    )
    Repayment.objects.create(
        loan=loan, repaid_on=dt.date(2025, 7, 15), principal=Decimal("300000.00")
    )
    current = LoanFactory(
        program_version=quzhou,
        bank=bank,
        contract_no="QZA-2026-003",
        disbursement_date=dt.date(2026, 6, 1),
        maturity_date=dt.date(2027, 5, 31),
        principal=Decimal("1000000.00"),
    )
    clerk = UserFactory(username="qz-demo-clerk", role=Role.BANK, bank=bank)
    return loan, current, clerk


def test_the_rule_overdue_from_the_day_after_maturity_until_repaid():
    d = dt.date
    assert past_maturity(d(2026, 1, 14), Decimal("100"), [(d(2026, 1, 14), Decimal("100"))]) is None
    late = past_maturity(d(2026, 1, 14), Decimal("100"), [(d(2026, 3, 2), Decimal("100"))])
    assert (late.started_on, late.cleared_on) == (d(2026, 1, 15), d(2026, 3, 2))
    unpaid = past_maturity(d(2026, 1, 14), Decimal("100"), [(d(2025, 7, 1), Decimal("30"))])
    assert (unpaid.started_on, unpaid.cleared_on) == (d(2026, 1, 15), None)


def test_the_loan_page_shows_the_days_past_maturity(client, qza):
    loan, _current, clerk = qza
    client.force_login(clerk)
    page = client.get(f"/loans/{loan.public_id}/").content.decode()
    # overdue from 2026-01-15; on 2026-12-03: 16 days left of January (from the 15th) + 28 (Feb)
    # + 31 + 30 + 31 + 30 + 31 + 31 + 30 + 31 + 30 (Mar–Nov) + 3 (Dec) = 322
    assert 16 + 28 + 31 + 30 + 31 + 30 + 31 + 31 + 30 + 31 + 30 + 3 == 322
    assert '<p class="figure" id="days-past-due">322</p>' in page
    assert "逾期180天以上" in page
    assert 'id="past-maturity"' in page and "2026-01-15" in page
    assert '<p class="figure" id="outstanding">700,000.00</p>' in page


def test_the_npl_ratio_counts_it_as_non_performing(client, qza):
    """NPL = outstanding of loans more than 90 days past due ÷ all outstanding:
    700,000 ÷ (700,000 + 1,000,000) = 41.176…% → 41.18%."""
    _loan, _current, clerk = qza
    client.force_login(clerk)
    page = client.get("/reports/dashboard/").content.decode()
    assert '<strong id="npl-ratio">41.18%</strong>' in page


def test_refresh_delinquency_stores_the_derived_days_and_the_list_filters_by_them(client, qza):
    loan, current, clerk = qza
    call_command("refresh_delinquency", "--on", "2026-12-03")
    loan.refresh_from_db()
    current.refresh_from_db()
    assert (loan.days_past_due, loan.bucket) == (322, Bucket.DPD_OVER_180)
    assert (current.days_past_due, current.bucket) == (0, Bucket.CURRENT)
    assert not loan.compensation_eligible  # Quzhou has no risk compensation
    assert AuditEntry.objects.filter(
        action="loans.loan.delinquency_changed", object_id=str(loan.pk), to_state="180+"
    ).exists()
    client.force_login(clerk)
    listed = client.get("/loans/", {"bucket": "180+"}).content.decode()
    assert "QZA-2025-012" in listed and "QZA-2026-003" not in listed
    # once repaid in full the period closes on the day of that repayment
    Repayment.objects.create(
        loan=loan, repaid_on=dt.date(2026, 12, 2), principal=Decimal("700000.00")
    )
    call_command("refresh_delinquency", "--on", "2026-12-03")
    loan.refresh_from_db()
    assert (loan.days_past_due, loan.bucket) == (0, Bucket.CURRENT)


def test_an_enterprise_with_a_loan_past_maturity_is_not_for_priority_renewal(qza):
    loan, current, _clerk = qza
    Repayment.objects.create(
        loan=current, repaid_on=dt.date(2026, 9, 1), principal=Decimal("100000.00")
    )
    on = dt.date(2026, 12, 3)
    renewal = set(review_selectors.priority_renewal(on=on))
    assert loan.enterprise not in renewal  # matured 2026-01-14, 700,000 unpaid
    assert current.enterprise in renewal  # repaying, not yet due
    # before maturity it was on the list (one repayment, nothing overdue)
    assert loan.enterprise in set(review_selectors.priority_renewal(on=dt.date(2026, 1, 14)))
    # repaid in full, but late (2026-03-02, after maturity): not 按时履约
    Repayment.objects.create(
        loan=loan, repaid_on=dt.date(2026, 3, 2), principal=Decimal("700000.00")
    )
    assert loan.enterprise not in set(review_selectors.priority_renewal(on=on))


def test_a_changjiang_loan_unpaid_past_six_months_from_maturity_is_proposed_for_the_blacklist(
    time_machine,
):
    """第九条 超过合同还款期限6个月未归还: matured 2026-05-31, overdue from 2026-06-01; six months
    later is 2026-12-01, so "more than six months" holds from 2026-12-02. 第十一条 1: more than one
    month (past 2026-07-01) makes it eligible for a compensation claim."""
    time_machine.move_to(TODAY, tick=False)
    version = ProgramVersion.objects.get(program__code="changjiang", code="2025")
    loan = LoanFactory(
        program_version=version,
        contract_no="CJ-M-1",
        disbursement_date=dt.date(2025, 12, 1),
        maturity_date=dt.date(2026, 5, 31),
        principal=Decimal("2000000.00"),
    )
    call_command("refresh_delinquency", "--on", "2026-07-01")
    loan.refresh_from_db()
    assert (loan.days_past_due, loan.compensation_eligible) == (30, False)
    call_command("refresh_delinquency", "--on", "2026-07-02")
    loan.refresh_from_db()
    assert (loan.days_past_due, loan.compensation_eligible) == (31, True)
    call_command("refresh_delinquency", "--on", "2026-12-01")
    assert not BlacklistEntry.objects.exists()
    call_command("refresh_delinquency", "--on", "2026-12-02")
    entry = BlacklistEntry.objects.get()
    assert entry.loan == loan and entry.status == BlacklistEntry.Status.PROPOSED
    assert "到期日2026-05-31后本金未还清" in entry.details and "逾期184天" in entry.details
    # 2026-06-01 .. 2026-12-02 = 30 + 31 + 31 + 30 + 31 + 30 + 1 = 184 days
    call_command("refresh_delinquency", "--on", "2026-12-03")
    assert BlacklistEntry.objects.count() == 1  # proposed once


def test_the_banks_overdue_record_counts_on_top_the_oldest_open_period_decides(qza):
    loan, _current, _clerk = qza
    OverdueEvent.objects.create(
        loan=loan, started_on=dt.date(2025, 10, 21), overdue_principal=Decimal("50000.00")
    )
    call_command("refresh_delinquency", "--on", "2026-12-03")
    loan.refresh_from_db()
    # the bank's record is older than the day after maturity: 2025-10-21 .. 2026-12-03 = 408 days
    assert loan.days_past_due == (dt.date(2026, 12, 3) - dt.date(2025, 10, 21)).days == 408
