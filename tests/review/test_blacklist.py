"""Changjiang 第九条: proposals from overdue loans reach the bureau, which confirms, exempts or dismisses them;
enterprises that always repaid on time are marked for priority renewal."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core import mail
from django.core.management import call_command

from kedaitong.models import AuditEntry
from kedaitong.roles import Role
from loans.models import InterestSettlement, OverdueEvent, Repayment
from review import selectors, services
from review.models import BlacklistEntry, Notification
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def proposal(cast) -> BlacklistEntry:
    OverdueEvent.objects.create(
        loan=cast.loan_a, started_on=dt.date(2026, 10, 20), overdue_principal=Decimal("1000")
    )
    call_command("refresh_delinquency", "--on", "2027-04-21", stdout=io.StringIO())
    return BlacklistEntry.objects.get()


def decide_url(entry: BlacklistEntry) -> str:
    return f"/review/blacklist/{entry.public_id}/decide/"


def test_a_new_proposal_reaches_the_bureau_by_inbox_and_mail(
    cast, django_capture_on_commit_callbacks
):
    cast.bureau_staff.email = "staff@example.invalid"
    cast.bureau_staff.save()
    quzhou = UserFactory(
        username="qz", role=Role.BUREAU_STAFF, program=cast.quzhou, email="qz@example.invalid"
    )
    with django_capture_on_commit_callbacks(execute=True):
        entry = proposal(cast)
    assert entry.status == "proposed"
    note = Notification.objects.get(user=cast.bureau_staff)
    assert cast.enterprise_a.name in note.message
    assert Notification.objects.filter(user=cast.bureau_head).exists()
    assert not Notification.objects.filter(user=quzhou).exists()  # the loan is Changjiang's
    recipients = {address for m in mail.outbox for address in m.to}
    assert "staff@example.invalid" in recipients and "qz@example.invalid" not in recipients


def test_staff_confirm_a_proposal_with_a_reason_and_it_blocks(client, cast):
    entry = proposal(cast)
    client.force_login(cast.bureau_staff)
    page = client.get("/review/blacklist/").content.decode()
    assert decide_url(entry) in page
    response = client.post(
        decide_url(entry),
        {f"e{entry.pk}-decision": "listed", f"e{entry.pk}-reason": "经核实逾期超过6个月"},
    )
    assert response.status_code == 302
    entry.refresh_from_db()
    assert (entry.status, entry.decided_by, entry.decision_note, entry.listed_by) == (
        "listed",
        cast.bureau_staff,
        "经核实逾期超过6个月",
        cast.bureau_staff,
    )
    assert entry.listed_at is not None
    assert BlacklistEntry.objects.blocking(cast.enterprise_a) == entry
    audit = AuditEntry.objects.for_object(entry).get(action="review.blacklist.confirmed")
    assert (audit.actor, audit.from_state, audit.to_state, audit.comment) == (
        cast.bureau_staff,
        "proposed",
        "listed",
        "经核实逾期超过6个月",
    )
    again = client.post(
        decide_url(entry), {f"e{entry.pk}-decision": "dismissed", f"e{entry.pk}-reason": "改判"}
    )
    assert again.status_code == 400 and "已处理" in again.content.decode()
    assert BlacklistEntry.objects.get(pk=entry.pk).status == "listed"


def test_staff_dismiss_a_proposal_and_it_does_not_block(client, cast):
    entry = proposal(cast)
    client.force_login(cast.bureau_staff)
    response = client.post(
        decide_url(entry),
        {f"e{entry.pk}-decision": "dismissed", f"e{entry.pk}-reason": "银行已确认系数据报送错误"},
    )
    assert response.status_code == 302
    entry.refresh_from_db()
    assert (entry.status, entry.decision_note, entry.listed_at) == (
        "dismissed",
        "银行已确认系数据报送错误",
        None,
    )
    assert BlacklistEntry.objects.blocking(cast.enterprise_a) is None
    assert (
        AuditEntry.objects.for_object(entry)
        .filter(action="review.blacklist.dismissed", actor=cast.bureau_staff)
        .exists()
    )


def test_force_majeure_exempts_a_proposal(cast):
    entry = services.blacklist_decide(
        actor=cast.bureau_staff,
        entry=proposal(cast),
        decision="exempted",
        reason="2027年特大洪灾，厂房被淹",
    )
    assert (entry.status, entry.force_majeure_note) == ("exempted", "2027年特大洪灾，厂房被淹")
    assert BlacklistEntry.objects.blocking(cast.enterprise_a) is None


def test_a_decision_without_reason_is_refused_and_keeps_the_choice(client, cast):
    entry = proposal(cast)
    client.force_login(cast.bureau_staff)
    response = client.post(
        decide_url(entry), {f"e{entry.pk}-decision": "dismissed", f"e{entry.pk}-reason": " "}
    )
    assert response.status_code == 400
    assert 'value="dismissed" selected' in response.content.decode()
    assert BlacklistEntry.objects.get(pk=entry.pk).status == "proposed"
    with pytest.raises(services.ReviewError):
        services.blacklist_decide(
            actor=cast.bureau_staff, entry=entry, decision="listed", reason=""
        )


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("auditor", 403),
        ("bureau_head", 403),
        ("leading_group", 403),
        ("admin", 403),
        ("bank_x_user", 403),
        ("applicant", 403),
    ],
)
def test_only_staff_decide(client, cast, who, status):
    entry = proposal(cast)
    client.force_login(getattr(cast, who))
    assert (
        client.post(
            decide_url(entry), {f"e{entry.pk}-decision": "listed", f"e{entry.pk}-reason": "x"}
        ).status_code
        == status
    )
    assert client.get(decide_url(entry)).status_code == 405
    assert BlacklistEntry.objects.get(pk=entry.pk).status == "proposed"


def test_staff_of_another_program_may_not_decide_a_changjiang_loan(client, cast):
    """The blacklist is its program's: Quzhou staff are outsiders to it (404), they neither see nor decide it."""
    entry = proposal(cast)
    client.force_login(UserFactory(username="qz", role=Role.BUREAU_STAFF, program=cast.quzhou))
    assert (
        client.post(
            decide_url(entry), {f"e{entry.pk}-decision": "listed", f"e{entry.pk}-reason": "x"}
        ).status_code
        == 404
    )
    assert BlacklistEntry.objects.get(pk=entry.pk).status == "proposed"


def test_priority_renewal_is_for_enterprises_that_always_repaid_on_time(cast):
    """第九条: 诚信良好、按时履约的企业优先续贷."""
    assert list(selectors.priority_renewal(on=dt.date(2026, 12, 1))) == []  # nothing repaid yet
    Repayment.objects.create(
        loan=cast.loan_a, repaid_on=dt.date(2026, 6, 1), principal=Decimal("100000.00")
    )
    Repayment.objects.create(
        loan=cast.loan_b, repaid_on=dt.date(2026, 6, 1), principal=Decimal("100000.00")
    )
    assert set(selectors.priority_renewal(on=dt.date(2026, 12, 1))) == {
        cast.enterprise_a,
        cast.enterprise_b,
    }
    OverdueEvent.objects.create(
        loan=cast.loan_b, started_on=dt.date(2026, 7, 1), overdue_principal=Decimal("1000")
    )
    assert list(selectors.priority_renewal(on=dt.date(2026, 12, 1))) == [cast.enterprise_a]
    InterestSettlement.objects.create(
        loan=cast.loan_a,
        settled_on=dt.date(2026, 6, 21),
        period_start=dt.date(2026, 5, 21),
        period_end=dt.date(2026, 6, 20),
        amount=Decimal("10.00"),
        is_overdue_interest=True,
    )
    assert list(selectors.priority_renewal(on=dt.date(2026, 12, 1))) == []
    InterestSettlement.objects.all().delete()
    BlacklistEntry.objects.create(
        program=cast.changjiang,
        enterprise=cast.enterprise_a,
        reason="misuse",
        details="挪用",
        status="listed",
        listed_at=dt.datetime(2026, 8, 1, tzinfo=dt.UTC),
    )
    assert list(selectors.priority_renewal(on=dt.date(2026, 12, 1))) == []
