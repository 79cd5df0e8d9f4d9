"""The Changjiang review state machine through its services: roles, conditions, records, stale forms."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django_fsm import can_proceed

from applications import selectors as app_selectors
from applications.models import Application
from applications.selectors import RuleResult
from applications.services import application_submit
from kedaitong.models import AuditEntry
from review import selectors, services
from review.models import Notification, Opinion
from tests.review.helpers import (
    complete,
    submitted,
    to_bank_review,
    to_bureau_review,
    to_group_review,
    to_publicity,
)

pytestmark = pytest.mark.django_db

S = Application.State


def test_staff_accepts_a_submitted_application_and_the_trail_says_who(cast):
    application = submitted(cast)
    services.application_accept(actor=cast.bureau_staff, application=application, comment="受理")
    application.refresh_from_db()
    assert application.state == S.BUREAU_REVIEW
    entry = AuditEntry.objects.for_object(application).get(action="applications.application.accept")
    assert (entry.actor, entry.from_state, entry.to_state, entry.comment) == (
        cast.bureau_staff,
        "submitted",
        "bureau_review",
        "受理",
    )
    assert Notification.objects.filter(user=cast.applicant, application=application).exists()
    assert Notification.objects.filter(user=cast.bureau_head, application=application).exists()


def test_accept_is_refused_when_eligibility_fails_first_article_six(cast, monkeypatch):
    """Changjiang 第六条: an application whose checklist fails today is not taken into review."""
    application = submitted(cast)
    monkeypatch.setattr(
        app_selectors,
        "eligibility_now",
        lambda a: [RuleResult("sme", "第六条(一)", "fail", "不是中小企业")],
    )
    with pytest.raises(services.ReviewError):
        services.application_accept(actor=cast.bureau_staff, application=application)
    application.refresh_from_db()
    assert application.state == S.SUBMITTED


def test_accept_passes_when_eligibility_passes_or_is_unknown(cast, monkeypatch):
    application = submitted(cast)
    monkeypatch.setattr(
        app_selectors,
        "eligibility_now",
        lambda a: [
            RuleResult("sme", "第六条(一)", "pass", ""),
            RuleResult("db", "第六条(一)1", "unknown", ""),
        ],
    )
    services.application_accept(actor=cast.bureau_staff, application=application)
    assert Application.objects.get(pk=application.pk).state == S.BUREAU_REVIEW


def test_return_needs_reasons_and_keeps_every_round(cast):
    application = to_bureau_review(cast)
    with pytest.raises(services.ReviewError):
        services.application_return(
            actor=cast.bureau_staff,
            application=application,
            reasons=[services.ReturnReason("营业执照", " ")],
        )
    services.application_return(
        actor=cast.bureau_staff,
        application=application,
        reasons=[
            services.ReturnReason("营业执照", "已过期"),
            services.ReturnReason("完税证明", "缺2025年"),
        ],
    )
    application.refresh_from_db()
    assert application.state == S.RETURNED
    application_submit(actor=cast.applicant, application=complete(cast, application))
    application.refresh_from_db()
    assert application.state == S.SUBMITTED
    ret = Opinion.objects.get(application=application, kind=Opinion.Kind.RETURN)
    assert ret.reasons == [
        {"item": "营业执照", "reason": "已过期"},
        {"item": "完税证明", "reason": "缺2025年"},
    ]
    actions = [
        a
        for a in AuditEntry.objects.for_object(application)
        .order_by("at", "pk")
        .values_list("action", flat=True)
        if not a.startswith("applications.material.")
    ]
    assert actions[-3:] == [
        "applications.application.accept",
        "applications.application.return_for_changes",
        "applications.application.submitted",
    ]
    queue = {a.pk: a.resubmitted for a in selectors.queue_for(cast.bureau_staff)}
    assert queue == {application.pk: True, cast.application_b.pk: False}


def test_maker_checker_head_signs_only_a_staff_draft(cast):
    application = to_bureau_review(cast)
    assert not can_proceed(application.approve)  # nothing drafted yet
    with pytest.raises(services.ReviewError):
        services.opinion_sign(actor=cast.bureau_head, application=application)
    services.opinion_draft(
        actor=cast.bureau_staff, application=application, recommendation="approve", text="同意"
    )
    assert [a.pk for a in selectors.queue_for(cast.bureau_head)] == [application.pk]
    assert application not in selectors.queue_for(cast.bureau_staff)
    services.opinion_sign(actor=cast.bureau_head, application=application)
    application.refresh_from_db()
    assert application.state == S.GROUP_REVIEW
    box = selectors.annex4_boxes(application).bureau
    assert (box.text, box.handler, box.head) == ("同意", "staff", "head")


def test_a_draft_that_rejects_makes_the_signature_a_rejection(cast):
    application = to_bureau_review(cast)
    services.opinion_draft(
        actor=cast.bureau_staff, application=application, recommendation="reject", text="不符合条件"
    )
    services.opinion_sign(actor=cast.bureau_head, application=application)
    assert Application.objects.get(pk=application.pk).state == S.REJECTED


def test_meeting_decides_several_and_fills_the_group_box(cast):
    first = to_group_review(cast)
    second = to_group_review(cast, cast.application_b)
    services.meeting_record(
        actor=cast.leading_group,
        program=cast.changjiang,
        date=dt.date(2026, 1, 20),
        attendees=["leader", "finance"],
        minutes="研究两户",
        decisions=[
            services.DecisionInput(first, True, Decimal("800000.00"), "同意"),
            services.DecisionInput(second, False, None, "材料不实"),
        ],
    )
    assert Application.objects.get(pk=first.pk).state == S.BANK_REVIEW
    assert Application.objects.get(pk=second.pk).state == S.REJECTED
    box = selectors.annex4_boxes(first).group
    assert box.text.startswith("同意推荐，推荐金额800000.00元") and box.date == dt.date(2026, 1, 20)


def test_meeting_refuses_an_amount_over_five_million_article_one(cast):
    """Changjiang 第一条: 500万元以内."""
    application = to_group_review(cast)
    with pytest.raises(services.ReviewError):
        services.meeting_record(
            actor=cast.leading_group,
            program=cast.changjiang,
            date=dt.date(2026, 1, 20),
            attendees=["leader"],
            minutes="",
            decisions=[services.DecisionInput(application, True, Decimal("5000000.01"))],
        )
    assert Application.objects.get(pk=application.pk).state == S.GROUP_REVIEW
    services.meeting_record(
        actor=cast.leading_group,
        program=cast.changjiang,
        date=dt.date(2026, 1, 20),
        attendees=["leader"],
        minutes="",
        decisions=[services.DecisionInput(application, True, Decimal("5000000.00"))],
    )
    assert Application.objects.get(pk=application.pk).state == S.BANK_REVIEW


def test_bank_decides_only_its_own_application(cast):
    application = to_bank_review(cast)
    with pytest.raises(services.ReviewError):
        services.bank_decide(
            actor=cast.bank_y_user, application=application, approved=False, opinion="不同意"
        )
    assert Application.objects.get(pk=application.pk).state == S.BANK_REVIEW
    services.bank_decide(
        actor=cast.bank_x_user, application=application, approved=False, opinion="征信不良"
    )
    assert Application.objects.get(pk=application.pk).state == S.REJECTED
    assert selectors.annex4_boxes(application).bank.text == "不同意授信。征信不良"


def test_bank_approval_needs_terms(cast):
    application = to_bank_review(cast)
    with pytest.raises(services.ReviewError):
        services.bank_decide(
            actor=cast.bank_x_user,
            application=application,
            approved=True,
            opinion="同意",
            credit_amount=Decimal("900000.00"),
        )
    to_publicity(cast, cast.application_b, bank_user=cast.bank_y_user)
    assert Application.objects.get(pk=cast.application_b.pk).state == S.PUBLICITY


# Every transition refused to every other role: tests/review/test_permissions.py.


def test_a_step_from_the_wrong_state_is_refused_and_changes_nothing(cast):
    application = submitted(cast)
    with pytest.raises(services.ReviewError):
        services.opinion_sign(actor=cast.bureau_head, application=application)
    with pytest.raises(services.ReviewError):
        services.bank_decide(
            actor=cast.bank_x_user, application=application, approved=False, opinion="x"
        )
    assert Application.objects.get(pk=application.pk).state == S.SUBMITTED
    assert not AuditEntry.objects.for_object(application).exists()


def test_a_stale_form_is_refused_and_names_who_changed_what(cast):
    application = submitted(cast)
    services.application_accept(
        actor=cast.bureau_staff, application=application, seen_state="submitted"
    )
    with pytest.raises(services.StaleApplication) as exc:
        services.application_return(
            actor=cast.bureau_staff,
            application=application,
            seen_state="submitted",
            reasons=[services.ReturnReason("营业执照", "过期")],
        )
    assert "staff" in str(exc.value) and exc.value.change.to_state == "bureau_review"
    assert Application.objects.get(pk=application.pk).state == S.BUREAU_REVIEW
    assert not Opinion.objects.filter(application=application).exists()


def test_email_goes_to_the_parties_on_commit(cast, django_capture_on_commit_callbacks):
    cast.applicant.email = "a@example.invalid"
    cast.applicant.save()
    with django_capture_on_commit_callbacks(execute=True):
        services.application_accept(actor=cast.bureau_staff, application=submitted(cast))
    assert any("a@example.invalid" in m.to for m in mail.outbox)


def test_daily_command_lists_what_waits_too_long(cast):
    from io import StringIO

    from django.core.management import call_command

    application = to_bureau_review(
        cast
    )  # entered bureau_review now; application_b submitted on 2026-01-05? no date
    Application.objects.filter(pk=cast.application_b.pk).update(
        submitted_at=dt.datetime(2026, 1, 5, tzinfo=dt.UTC)
    )
    out = StringIO()
    call_command("review_overdue", "--days", "3", stdout=out)
    text = out.getvalue()
    assert cast.application_b.reference in text and application.reference not in text
    assert "1 waiting longer than 3 days" in text
