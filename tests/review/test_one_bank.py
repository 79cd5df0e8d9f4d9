"""Changjiang 第六条(二) 单个企业仅接受一家银行的“科贷通”贷款, all the way: submission, each stage that re-checks, registration.

An enterprise is "at" a bank from the submission of an application naming it until that application ends
(credit granted included: the credit stands until it is drawn), and while a loan of that bank has principal
outstanding, matured or not (docs/decisions.md, issue 16).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client

from applications.models import Application
from kedaitong.models import AuditEntry
from loans.models import Loan, Repayment
from tests.applications.test_submit import changjiang_draft
from tests.factories import ApplicationFactory, LoanFactory
from tests.review.helpers import on_day, open_batch, submitted, to_publicity

pytestmark = pytest.mark.django_db

S = Application.State


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_credit_granted_at_bank_x_blocks_an_application_to_bank_y_at_submission_and_at_review(cast):
    """The reported case: enterprise A's application at X银行 in credit_granted let it apply to Y银行."""
    cast.loan_a.delete()  # no loan: only the granted credit holds enterprise A at X银行
    Application.objects.filter(pk=cast.application_a.pk).update(state=S.CREDIT_GRANTED)
    at_x = cast.application_a.reference
    expected = (
        f"企业在X银行（申请{at_x}，已授信）有未结清的科贷通申请或贷款，"
        "单个企业仅接受一家银行的科贷通贷款"
    )

    # 1. Submission: the submit page names the bank and the application; the POST submits nothing.
    draft = changjiang_draft(cast, bank=cast.bank_y)
    applicant = client_for(cast.applicant)
    url = f"/applications/{draft.public_id}/submit/"
    shown = applicant.get(url).content.decode()
    assert expected in shown and "第六条（二）" in shown
    assert expected in applicant.post(url, follow=True).content.decode()
    assert Application.objects.get(pk=draft.pk).state == S.DRAFT

    # 2. A stage that re-checks: an application to Y银行 submitted before (data from before the rule was
    # whole) is refused at acceptance; the review page shows the failing line.
    earlier = ApplicationFactory(enterprise=cast.enterprise_a, bank=cast.bank_y)
    submitted(cast, earlier)
    staff = client_for(cast.bureau_staff)
    page = staff.get(f"/review/applications/{earlier.public_id}/").content.decode()
    assert f"X银行（申请{at_x}，已授信）" in page
    refused = staff.post(
        f"/review/applications/{earlier.public_id}/act/",
        {"action": "accept", "seen_state": "submitted"},
    )
    assert refused.status_code == 400
    assert Application.objects.get(pk=earlier.pk).state == S.SUBMITTED
    assert not AuditEntry.objects.filter(action="applications.application.accept").exists()

    # Once the credit at X银行 is drawn and repaid, or the application ends, Y银行 is open again.
    Application.objects.filter(pk=cast.application_a.pk).update(state=S.REJECTED)
    assert expected not in applicant.get(url).content.decode()


def test_a_loan_matured_unpaid_at_bank_y_blocks_registration_at_bank_x_until_repaid(cast):
    """Registration (the bank's disbursement on the review page) re-checks 第六条(二).

    Enterprise A's credit of 900,000.00 at X银行 is granted after publicity (opened Mon 2026-01-05, five
    working days to Fri 01-09, closed 01-12). A loan of enterprise A at Y银行 recorded since: 1,000,000.00 from
    2025-01-06, matured 2026-01-05, 300,000.00 repaid on 2025-07-05, so 1,000,000.00 − 300,000.00 =
    700,000.00 is outstanding after maturity. X银行's disbursement is refused naming it; once Y银行 records
    the remaining 700,000.00, X银行 disburses.
    """
    application = to_publicity(cast)
    batch = open_batch(cast, dt.date(2026, 1, 5))
    from review import services

    with on_day(dt.date(2026, 1, 12)):
        services.publicity_batch_close(actor=cast.bureau_staff, batch=batch)
    application.refresh_from_db()
    assert application.state == S.CREDIT_GRANTED
    at_y = LoanFactory(
        enterprise=cast.enterprise_a,
        bank=cast.bank_y,
        contract_no="Y-HT-2025-01",
        disbursement_date=dt.date(2025, 1, 6),
        maturity_date=dt.date(2026, 1, 5),
        principal=Decimal("1000000.00"),
    )
    Repayment.objects.create(
        loan=at_y, repaid_on=dt.date(2025, 7, 5), principal=Decimal("300000.00")
    )

    bank = client_for(cast.bank_x_user)
    form = {
        "action": "disburse",
        "seen_state": "credit_granted",
        "contract_no": "X-HT-2026-07",
        "contract_date": "2026-02-01",
        "disbursement_date": "2026-02-02",
        "maturity_date": "2027-02-01",
        "principal": "900000.00",
        "annual_rate": "3.45",
    }
    refused = bank.post(f"/review/applications/{application.public_id}/act/", form)
    assert refused.status_code == 400
    assert (
        "该企业在Y银行（贷款Y-HT-2025-01，未还本金700,000.00元）已有未结清的科贷通申请或贷款，"
        "只能接受一家银行的贷款（昌江细则第六条(二)）" in refused.content.decode()
    )
    assert not Loan.objects.filter(application=application).exists()
    assert Application.objects.get(pk=application.pk).state == S.CREDIT_GRANTED

    Repayment.objects.create(
        loan=at_y, repaid_on=dt.date(2026, 1, 20), principal=Decimal("700000.00")
    )
    assert bank.post(f"/review/applications/{application.public_id}/act/", form).status_code == 302
    loan = Loan.objects.get(application=application)
    assert (loan.bank, loan.principal) == (cast.bank_x, Decimal("900000.00"))
    assert Application.objects.get(pk=application.pk).state == S.DISBURSED


def test_credit_granted_at_bank_y_blocks_registration_at_bank_x(cast):
    """The other half of the reported case, at registration: an undrawn credit at Y银行 holds enterprise A."""
    from review import services

    application = to_publicity(cast)
    batch = open_batch(cast, dt.date(2026, 1, 5))
    with on_day(dt.date(2026, 1, 12)):
        services.publicity_batch_close(actor=cast.bureau_staff, batch=batch)
    other = ApplicationFactory(
        enterprise=cast.enterprise_a, bank=cast.bank_y, state=S.CREDIT_GRANTED
    )
    from loans.services import LoanRefused, application_disburse

    with pytest.raises(LoanRefused) as refused:
        application_disburse(
            actor=cast.bank_x_user,
            application=Application.objects.get(pk=application.pk),
            contract_no="X-HT-2026-08",
            contract_date=dt.date(2026, 2, 1),
            disbursement_date=dt.date(2026, 2, 2),
            maturity_date=dt.date(2027, 2, 1),
            principal=Decimal("900000.00"),
            annual_rate=Decimal("3.4500"),
        )
    assert f"Y银行（申请{other.reference}，已授信）" in refused.value.problems[0]
    assert not Loan.objects.filter(application=application).exists()
