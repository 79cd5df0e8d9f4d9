"""Confirm before what cannot be undone (issue 18 item 4, kedaitong/confirm.py).

For each kind of action: the first POST restates it (amounts in figures and capitals) and changes
nothing (state, money rows, audit); a tampered token, another user's token or a changed value is
refused with nothing done; the confirmed POST does it; 返回修改 shows the form with what was typed.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client

from applications.models import Application
from compensation.models import Payment
from kedaitong import confirm
from kedaitong.models import AuditEntry
from review.models import Meeting
from tests.compensation import helpers as claims
from tests.confirming import confirm_data, confirmation
from tests.review.helpers import to_bureau_review, to_group_review

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def asks_first(client: Client, url: str, data: dict, snapshot, *shown: str):  # type: ignore[no-untyped-def]
    """The first POST answers the confirmation page, with `shown` on it, and changes nothing."""
    before = snapshot(), AuditEntry.objects.count()
    first = client.post(url, data)
    assert first.status_code == 200
    assert confirmation(first) is not None
    page = first.content.decode()
    assert 'name="confirm_token"' in page and 'name="confirm_back"' in page
    assert "<script" not in page and "style=" not in page  # the strict CSP holds: no inline code
    for text in shown:
        assert text in page, text
    assert (snapshot(), AuditEntry.objects.count()) == before
    return first


def refuses_tampering(client: Client, url: str, first, snapshot, changed: str | None = None):  # type: ignore[no-untyped-def]
    """A forged token, or a value changed after the page was shown, is refused (400) and does nothing."""
    before = snapshot(), AuditEntry.objects.count()
    forged = confirm_data(first) | {"confirm_token": ["x" + first.context["confirm"]["token"]]}
    response = client.post(url, forged)
    assert response.status_code == 400 and 'id="confirm-refused"' in response.content.decode()
    if changed is not None:
        response = client.post(url, confirm_data(first) | {changed: ["1.00"]})
        assert response.status_code == 400
    assert (snapshot(), AuditEntry.objects.count()) == before


def test_amounts_are_shown_in_figures_and_capitals_to_the_fen():
    lines = confirm.amount_lines(
        [("a", Decimal("1234567.89")), ("b", Decimal("0.005")), ("c", Decimal("3000000"))]
    )
    assert [(x["figures"], x["wan"], x["capitals"]) for x in lines] == [
        ("1,234,567.89元", "123.456789万元", "壹佰贰拾叁万肆仟伍佰陆拾柒元捌角玖分"),
        ("0.01元", "0.000001万元", "壹分"),  # half-up to the fen, as money.to_fen
        ("3,000,000.00元", "300万元", "叁佰万元整"),
    ]


def test_signing_the_bureaus_opinion_is_confirmed_first(cast):
    application = to_bureau_review(cast)
    client_for(cast.bureau_staff).post(
        f"/review/applications/{application.public_id}/act/",
        {
            "action": "draft",
            "seen_state": "bureau_review",
            "recommendation": "approve",
            "text": "同意",
        },
    )
    url = f"/review/applications/{application.public_id}/act/"
    head = client_for(cast.bureau_head)
    data = {"action": "sign", "seen_state": "bureau_review", "comment": "同意签发"}

    def snapshot():  # type: ignore[no-untyped-def]
        return Application.objects.get(pk=application.pk).state

    first = asks_first(head, url, data, snapshot, "1,000,000.00元", "壹佰万元整", "同意签发")
    refuses_tampering(head, url, first, snapshot, changed="comment")
    # The token is the head's own: the staff's session cannot use it.
    assert client_for(cast.bureau_staff).post(url, confirm_data(first)).status_code in (400, 403)
    assert snapshot() == Application.State.BUREAU_REVIEW
    audits = AuditEntry.objects.count()
    assert head.post(url, confirm_data(first)).status_code == 302
    assert snapshot() == Application.State.GROUP_REVIEW
    assert AuditEntry.objects.count() > audits


def test_the_meeting_is_recorded_after_its_confirmation_and_going_back_keeps_what_was_typed(cast):
    application = to_group_review(cast)
    group = client_for(cast.leading_group)
    data = {
        "date": "2026-01-20",
        "attendees": ["leader"],
        "minutes": "会议纪要第一段",
        f"a{application.pk}-decision": "recommend",
        f"a{application.pk}-amount": "800,000.50",
    }
    first = asks_first(
        group, "/review/meetings/new/", data, Meeting.objects.count, "800,000.50元", "捌拾万元伍角"
    )
    back = group.post("/review/meetings/new/", confirm_data(first) | {"confirm_back": ["1"]})
    assert back.status_code == 200 and "会议纪要第一段" in back.content.decode()
    assert 'value="800,000.50"' in back.content.decode() and Meeting.objects.count() == 0
    refuses_tampering(group, "/review/meetings/new/", first, Meeting.objects.count)
    assert group.post("/review/meetings/new/", confirm_data(first)).status_code == 302
    assert Meeting.objects.get().decisions.get().recommended_amount == Decimal("800000.50")


def test_a_compensation_payment_is_confirmed_first(cast):
    claim = claims.decided(cast)
    url = f"/compensation/claims/{claim.public_id}/pay/"
    staff = client_for(cast.bureau_staff)
    data = {"paid_on": "2026-11-23", "voucher_no": "BF-1"}
    first = asks_first(
        staff, url, data, Payment.objects.count, "300,000.00元", "叁拾万元整", "BF-1", "第十一条"
    )
    refuses_tampering(staff, url, first, Payment.objects.count, changed="voucher_no")
    assert staff.post(url, confirm_data(first)).status_code == 302
    assert Payment.objects.get().amount == Decimal("300000.00")


def _share_return(cast):  # type: ignore[no-untyped-def]
    from compensation import services

    recovery = claims.with_recovery(cast, "80000.00", ())
    return services.return_record(
        actor=cast.bank_x_user,
        recovery=recovery,
        amount="500.00",
        returned_on=dt.date(2026, 11, 25),
        voucher_no="JH",
    )


@pytest.mark.parametrize(
    ("who", "make", "path", "data", "shown"),
    [
        (
            "leading_group",
            lambda cast: (
                claims.budget(cast, year=dt.date.today().year),
                claims.in_group_review(cast),
            )[1],
            lambda o: f"/compensation/claims/{o.public_id}/decide/",
            {"outcome": "decide", "amount": "300000.00", "covered_loss": "800000.00"},
            ("叁拾万元整", "捌拾万元整"),
        ),
        (
            "leading_group",
            claims.decided,
            lambda o: f"/compensation/claims/{o.public_id}/revoke/",
            {"reason": "金额录错"},
            ("叁拾万元整", "金额录错"),
        ),
        (
            "bureau_head",
            claims.paid,
            lambda o: f"/compensation/claims/{o.public_id}/pay/reverse/",
            {"reason": "重复登记"},
            ("叁拾万元整", "重复登记"),
        ),
        (
            "bank_x_user",
            claims.recovering,
            lambda o: f"/compensation/claims/{o.public_id}/recoveries/new/",
            {"received_on": "2026-11-24", "gross": "100000.00"},
            ("壹拾万元整", "100,000.00元"),
        ),
        (
            "bank_x_user",
            lambda cast: claims.with_recovery(cast),
            lambda o: f"/compensation/recoveries/{o.pk}/reverse/",
            {"reason": "录错"},
            ("壹拾万元整",),
        ),
        (
            "bank_x_user",
            lambda cast: claims.with_recovery(cast),
            lambda o: f"/compensation/recoveries/{o.pk}/returns/new/",
            {"amount": "35625.00", "returned_on": "2026-11-25", "voucher_no": "JH"},
            ("叁万伍仟陆佰贰拾伍元整",),
        ),
        (
            "auditor",
            _share_return,
            lambda o: f"/compensation/returns/{o.pk}/confirm/",
            {},
            ("伍佰元整", "JH"),
        ),
        (
            "auditor",
            _share_return,
            lambda o: f"/compensation/returns/{o.pk}/reverse/",
            {"reason": "财政未收到"},
            ("伍佰元整",),
        ),
    ],
)
def test_each_compensation_action_restates_before_it_acts(cast, who, make, path, data, shown):
    from compensation.models import Decision, Recovery, ShareReturn

    target = make(cast)
    url = path(target)
    client = client_for(getattr(cast, who))

    def snapshot():  # type: ignore[no-untyped-def]
        return (
            [c.state for c in claims.Claim.objects.order_by("pk")],
            Decision.objects.count(),
            Payment.objects.count(),
            Recovery.objects.count(),
            ShareReturn.objects.count(),
            list(ShareReturn.objects.values_list("confirmed_by", flat=True)),
        )

    first = asks_first(client, url, data, snapshot, *shown)
    refuses_tampering(client, url, first, snapshot)
    before = snapshot()
    assert client.post(url, confirm_data(first)).status_code == 302
    assert snapshot() != before


def test_the_banks_credit_approval_restates_before_it_acts(cast):
    from tests.review.helpers import to_bank_review

    application = to_bank_review(cast)
    url = f"/review/applications/{application.public_id}/act/"
    bank = client_for(cast.bank_x_user)
    data = {
        "action": "bank_approve",
        "seen_state": "bank_review",
        "credit_amount": "900,000.00",
        "annual_rate": "3.45",
        "term_months": "12",
        "opinion": "经审核同意授信",
        "head_name": "李行长",
    }

    def snapshot():  # type: ignore[no-untyped-def]
        return Application.objects.get(pk=application.pk).state

    first = asks_first(bank, url, data, snapshot, "900,000.00元", "玖拾万元整", "经审核同意授信")
    refuses_tampering(bank, url, first, snapshot, changed="credit_amount")
    back = bank.post(url, confirm_data(first) | {"confirm_back": ["1"]})
    assert back.status_code == 200 and "经审核同意授信" in back.content.decode()
    assert bank.post(url, confirm_data(first)).status_code == 302
    assert snapshot() == Application.State.PUBLICITY
