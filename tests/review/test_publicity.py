"""Changjiang 第八条 publicity, objections, the credit it grants, and disbursement into loans/."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from applications.models import Application
from loans import services as loan_services
from loans.models import Loan
from loans.services import LoanRefused
from review import selectors, services
from review.models import Objection, PublicityBatch
from tests.review.helpers import to_publicity

pytestmark = pytest.mark.django_db

S = Application.State


def test_period_counts_working_days_across_a_holiday():
    """Changjiang 第八条 (5 working days, the program version's period): 2025-09-29 (Mon) + National Day."""
    from applications.models import Program

    program = Program.objects.get(code="changjiang")
    assert services.publicity_end(program, dt.date(2026, 3, 2)) == dt.date(
        2026, 3, 6
    )  # an ordinary week
    # 2025-09-30 (Tue) is a working day, 10-01..10-08 the National Day holiday, 10-11 (Sat) a working day.
    assert services.publicity_end(program, dt.date(2025, 9, 29)) == dt.date(2025, 10, 11)


def test_a_batch_ending_before_it_starts_is_refused(cast):
    to_publicity(cast)
    with pytest.raises(services.ReviewError):
        services.publicity_batch_create(
            actor=cast.bureau_staff,
            program=cast.changjiang,
            start_date=dt.date(2026, 3, 2),
            end_date=dt.date(2026, 3, 1),
        )
    with pytest.raises(services.ReviewError):  # shorter than the period
        services.publicity_batch_create(
            actor=cast.bureau_staff,
            program=cast.changjiang,
            start_date=dt.date(2026, 3, 2),
            end_date=dt.date(2026, 3, 5),
        )


def _batch(cast, start=None):  # type: ignore[no-untyped-def]
    to_publicity(cast)
    to_publicity(cast, cast.application_b, bank_user=cast.bank_y_user)
    start = start or dt.date.today()
    return services.publicity_batch_create(
        actor=cast.bureau_staff, program=cast.changjiang, start_date=start
    )


def test_no_upheld_objection_grants_credit_and_upheld_rejects_article_eight(cast):
    """第八条: 没有经过公示或公示有不良影响的，不能获得“科贷通”贷款."""
    batch = _batch(cast)
    entry_b = cast.application_b.publicity_entry
    objection = services.objection_submit(
        entry=entry_b, name="张三", contact="13800000000", reason="该企业拖欠工资"
    )
    services.objection_rule(
        actor=cast.bureau_staff, objection=objection, upheld=True, note="经核实属实"
    )
    assert Application.objects.get(pk=cast.application_b.pk).state == S.REJECTED
    with pytest.raises(services.ReviewError):  # not over yet
        services.publicity_batch_close(actor=cast.bureau_staff, batch=batch)
    assert Application.objects.get(pk=cast.application_a.pk).state == S.PUBLICITY


def test_credit_is_granted_only_after_the_period(cast):
    batch = _batch(cast, start=dt.date(2026, 1, 5))
    application = Application.objects.get(pk=cast.application_a.pk)
    if not batch.is_over():
        pytest.skip("the clock is before the batch's end")
    granted = services.publicity_batch_close(actor=cast.bureau_staff, batch=batch)
    assert {a.pk for a in granted} == {cast.application_a.pk, cast.application_b.pk}
    application.refresh_from_db()
    assert application.state == S.CREDIT_GRANTED
    assert selectors.granted_credit(application) == Decimal("900000.00")


def test_a_pending_objection_blocks_closing(cast):
    batch = _batch(cast)
    services.objection_submit(
        entry=cast.application_a.publicity_entry, name="李四", contact="x", reason="y"
    )
    PublicityBatch.objects.filter(pk=batch.pk).update(
        start_date=dt.date(2026, 1, 5), end_date=dt.date(2026, 1, 9)
    )
    batch.refresh_from_db()
    with pytest.raises(services.ReviewError, match="异议"):
        services.publicity_batch_close(actor=cast.bureau_staff, batch=batch)


def test_objections_only_while_the_period_runs(cast):
    _batch(cast, start=dt.date.today() + dt.timedelta(days=30))
    with pytest.raises(services.ReviewError):
        services.objection_submit(
            entry=cast.application_a.publicity_entry, name="李四", contact="x", reason="y"
        )
    assert not Objection.objects.exists()


def _granted(cast) -> Application:  # type: ignore[no-untyped-def]
    batch = _batch(cast, start=dt.date(2026, 1, 5))
    if not batch.is_over():
        pytest.skip("the clock is before the batch's end")
    services.publicity_batch_close(actor=cast.bureau_staff, batch=batch)
    return Application.objects.get(pk=cast.application_a.pk)


def test_disbursement_opens_the_loan(cast):
    application = _granted(cast)
    loan = loan_services.application_disburse(
        actor=cast.bank_x_user,
        application=application,
        contract_no="CJ-2026-001",
        disbursement_date=dt.date(2026, 2, 2),
        maturity_date=dt.date(2027, 2, 1),
        principal=Decimal("900000.00"),
        annual_rate=Decimal("3.4500"),
    )
    application.refresh_from_db()
    assert application.state == S.DISBURSED
    assert Loan.objects.get(pk=loan.pk).application == application


def test_disbursement_over_the_granted_credit_is_refused(cast):
    application = _granted(cast)
    with pytest.raises(LoanRefused):
        loan_services.application_disburse(
            actor=cast.bank_x_user,
            application=application,
            contract_no="CJ-2026-002",
            disbursement_date=dt.date(2026, 2, 2),
            maturity_date=dt.date(2027, 2, 1),
            principal=Decimal("900000.01"),
            annual_rate=Decimal("3.4500"),
        )
    with pytest.raises(services.ReviewError):
        loan_services.application_disburse(
            actor=cast.bank_y_user,
            application=application,
            contract_no="CJ-2026-003",
            disbursement_date=dt.date(2026, 2, 2),
            maturity_date=dt.date(2027, 2, 1),
            principal=Decimal("1.00"),
            annual_rate=Decimal("3.4500"),
        )
    assert Application.objects.get(pk=application.pk).state == S.CREDIT_GRANTED
