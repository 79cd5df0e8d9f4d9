"""Changjiang 第八条 publicity, objections, the credit it grants, and disbursement into loans/."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from applications.models import Application
from kedaitong.models import AuditEntry
from loans import services as loan_services
from loans.models import Loan
from loans.services import LoanRefused
from review import selectors, services
from review.models import Objection, PublicityBatch, PublicityEntry
from tests.confirming import post_confirmed
from tests.review.helpers import on_day, open_batch, to_publicity

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
    with on_day(dt.date(2026, 3, 2)), pytest.raises(services.ReviewError, match="不能早于"):
        services.publicity_batch_create(
            actor=cast.bureau_staff,
            program=cast.changjiang,
            start_date=dt.date(2026, 3, 2),
            end_date=dt.date(2026, 3, 1),
        )
    with on_day(dt.date(2026, 3, 2)), pytest.raises(services.ReviewError, match="2026-03-06"):
        services.publicity_batch_create(  # shorter than the period: Mon 03-02 + 5 working days = Fri 03-06
            actor=cast.bureau_staff,
            program=cast.changjiang,
            start_date=dt.date(2026, 3, 2),
            end_date=dt.date(2026, 3, 5),
        )
    assert not PublicityBatch.objects.exists()


def _batch(cast, start=None):
    to_publicity(cast)
    to_publicity(cast, cast.application_b, bank_user=cast.bank_y_user)
    return open_batch(cast, start or timezone.localdate())


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
    batch = _batch(cast, start=dt.date(2026, 1, 5))  # Mon 01-05 to Fri 01-09, five working days
    application = Application.objects.get(pk=cast.application_a.pk)
    with on_day(dt.date(2026, 1, 9)), pytest.raises(services.ReviewError, match="2026-01-09"):
        services.publicity_batch_close(actor=cast.bureau_staff, batch=batch)
    with on_day(dt.date(2026, 1, 10)):
        granted = services.publicity_batch_close(actor=cast.bureau_staff, batch=batch)
    assert {a.pk for a in granted} == {cast.application_a.pk, cast.application_b.pk}
    application.refresh_from_db()
    assert application.state == S.CREDIT_GRANTED
    assert selectors.granted_credit(application) == Decimal("900000.00")


def test_a_pending_objection_blocks_closing(cast):
    batch = _batch(cast, start=dt.date(2026, 1, 5))
    with on_day(dt.date(2026, 1, 6)):
        services.objection_submit(
            entry=cast.application_a.publicity_entry, name="李四", contact="x", reason="y"
        )
    with on_day(dt.date(2026, 1, 12)), pytest.raises(services.ReviewError, match="异议"):
        services.publicity_batch_close(actor=cast.bureau_staff, batch=batch)


def test_objections_only_while_the_period_runs(cast):
    _batch(cast, start=dt.date.today() + dt.timedelta(days=30))
    with pytest.raises(services.ReviewError):
        services.objection_submit(
            entry=cast.application_a.publicity_entry, name="李四", contact="x", reason="y"
        )
    assert not Objection.objects.exists()


def _granted(cast) -> Application:
    batch = _batch(cast, start=dt.date(2026, 1, 5))
    with on_day(dt.date(2026, 1, 12)):
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


# --- Issue 16 item 5: publicity cannot be backdated (第八条) ------------------------------------------------


def test_a_backdated_batch_is_refused_on_the_page_and_a_batch_from_today_runs_five_working_days(
    client, cast
):
    """第八条: 对取得授信的企业进行资信和授信金额公示; the public must see it for the whole period.

    The reported case: on 2026-12-03 staff opened a batch dated 2026-11-04 to 11-10, closed it at once and
    credit was granted. Worked by hand: on 2026-12-03 (a Thursday) the start may be 12-03 at the earliest;
    five working days from Thu 12-03 are 12-03, 12-04, 12-07, 12-08 and 12-09 (no holiday in December 2026),
    so the period ends Wed 2026-12-09, closing is refused through 12-09 and grants credit on 12-10.
    """
    application = to_publicity(cast)
    with on_day(dt.date(2026, 12, 3)):
        client.force_login(cast.bureau_staff)
        refused = post_confirmed(
            client, "/review/publicity/", {"start_date": "2026-11-04", "end_date": "2026-11-10"}
        )
        assert refused.status_code == 400
        page = refused.content.decode()
        assert "公示开始日期不能早于今天（2026-12-03）" in page and "第八条" in page
        assert 'value="2026-11-04"' in page  # what was typed is kept
        assert not PublicityBatch.objects.exists()
        assert client.get("/review/publicity/").content.decode().count('min="2026-12-03"') == 2

        opened = post_confirmed(client, "/review/publicity/", {"start_date": "2026-12-03"})
        assert opened.status_code == 302
        batch = PublicityBatch.objects.get()
        assert (batch.start_date, batch.end_date) == (dt.date(2026, 12, 3), dt.date(2026, 12, 9))
        assert batch.published_on == dt.date(2026, 12, 3)
        close = f"/review/publicity/{batch.public_id}/close/"
        page = client.post(close, follow=True).content.decode()
        assert "公示期至2026-12-09结束" in page
    with on_day(dt.date(2026, 12, 9), hour=23):
        client.force_login(cast.bureau_staff)  # a new working day, a new session
        client.post(close)
        assert Application.objects.get(pk=application.pk).state == S.PUBLICITY
    with on_day(dt.date(2026, 12, 10), hour=9):
        client.force_login(cast.bureau_staff)
        assert client.post(close).status_code == 302
    application.refresh_from_db()
    assert application.state == S.CREDIT_GRANTED
    assert selectors.granted_credit(application) == Decimal("900000.00")
    grant = AuditEntry.objects.get(action="applications.application.grant")
    assert timezone.localdate(grant.at) == dt.date(2026, 12, 10)


def test_a_batch_dated_before_its_publication_runs_its_period_from_publication(cast):
    """A batch already in the database from before the check (start 2026-11-04, end 11-10, published on
    2026-12-03): its period counts from publication, so it ends 2026-12-09 like a batch opened that day,
    objections are taken until then, and credit comes only after it."""
    application = to_publicity(cast)
    with on_day(dt.date(2026, 12, 3)):
        batch = PublicityBatch.objects.create(
            program=cast.changjiang,
            start_date=dt.date(2026, 11, 4),
            end_date=dt.date(2026, 11, 10),
            created_by=cast.bureau_staff,
        )
        PublicityEntry.objects.create(
            batch=batch, application=application, credit_amount=Decimal("900000.00")
        )
        batch = PublicityBatch.objects.get(pk=batch.pk)
        assert batch.period_end == dt.date(2026, 12, 9) and batch.is_running()
        with pytest.raises(services.ReviewError, match="2026-12-09"):
            services.publicity_batch_close(actor=cast.bureau_staff, batch=batch)
    with on_day(dt.date(2026, 12, 8)):
        services.objection_submit(
            entry=batch.entries.get(), name="王五", contact="139", reason="未见公示"
        )
    assert Objection.objects.count() == 1
    assert Application.objects.get(pk=application.pk).state == S.PUBLICITY


def test_close_is_offered_only_once_the_period_is_over(cast, client):
    """Issue 18 item 8: 结束本批次 appears after the period; before it the page says when, the service refuses."""
    batch = _batch(cast, start=dt.date(2026, 1, 5))  # Mon 01-05 to Fri 01-09
    page = f"/review/publicity/{batch.public_id}/"
    with on_day(dt.date(2026, 1, 9)):
        client.force_login(cast.bureau_staff)
        html = client.get(page).content.decode()
        assert 'id="close-batch"' not in html and "结束本批次：无成立异议的授信生效" not in html
        assert "公示期满（2026-01-09之后）方可结束本批次（昌江细则第八条）" in html
        refused = client.post(f"{page}close/", follow=True).content.decode()
        assert "公示期至2026-01-09结束，期满后方可结束本批次（昌江细则第八条）" in refused
    assert PublicityBatch.objects.get(pk=batch.pk).closed_at is None
    assert Application.objects.get(pk=cast.application_a.pk).state == S.PUBLICITY
    with on_day(dt.date(2026, 1, 10)):
        client.force_login(cast.bureau_staff)
        html = client.get(page).content.decode()
        assert 'id="close-batch"' in html and 'id="close-later"' not in html


def test_an_application_is_not_shown_in_publicity_before_its_batch_starts(cast, client):
    """Issue 18 item 8: 待公示 until the batch's period starts, 公示中 while it runs."""
    application = to_publicity(cast)
    assert application.get_state_display() == "待公示"  # approved by the bank, no batch yet
    with on_day(dt.date(2026, 3, 2)):  # published on Monday, starting next Monday
        batch = services.publicity_batch_create(
            actor=cast.bureau_staff, program=cast.changjiang, start_date=dt.date(2026, 3, 9)
        )
    assert batch.entries.filter(application=application).exists()
    with on_day(dt.date(2026, 3, 4)):
        assert Application.objects.get(pk=application.pk).state == S.PUBLICITY  # the state itself
        client.force_login(cast.bureau_staff)
        batch_page = client.get(f"/review/publicity/{batch.public_id}/").content.decode()
        assert '<span class="state state-publicity">待公示</span>' in batch_page
        assert "公示中" not in batch_page
        client.force_login(cast.applicant)
        own = client.get(f"/applications/{application.public_id}/").content.decode()
        assert "待公示" in own
        assert '<span class="state state-publicity">公示中</span>' not in own
    with on_day(dt.date(2026, 3, 10)):
        client.force_login(cast.bureau_staff)
        batch_page = client.get(f"/review/publicity/{batch.public_id}/").content.decode()
        assert '<span class="state state-publicity">公示中</span>' in batch_page
        assert Application.objects.get(pk=application.pk).get_state_display() == "公示中"
