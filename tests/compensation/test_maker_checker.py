"""Issue 16 item 10: maker-checker on compensation (第十一条 2(2) 区科技局对补偿申请进行审核，审核同意后提交领导专班).

Staff draft the bureau's opinion and the amount they propose (each draft a new version), the head signs it or
sends it back, as in the application review; a stale form gets 409 naming who changed what. The claim of the
helpers asks 400,000.00 yuan for a loss of 800,000.00 principal + 12,000.00 interest = 812,000.00.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core import mail
from django.test import Client

from compensation import services
from compensation.models import Claim, ClaimOpinion, ClaimState
from kedaitong.models import AuditEntry
from kedaitong.roles import Role
from review.models import Notification
from tests.compensation import helpers
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def review_url(claim: Claim) -> str:
    return f"/compensation/claims/{claim.public_id}/review/"


def draft_form(seen: int, **data: str) -> dict[str, str]:
    return {"action": "draft", "seen_version": str(seen), "recommendation": "approve"} | data


def state(claim: Claim) -> str:
    return Claim.objects.get(pk=claim.pk).state


def test_staff_draft_the_amount_and_only_the_heads_signature_sends_the_claim_to_the_group(
    cast, django_capture_on_commit_callbacks
):
    claim = helpers.submitted(cast)
    cast.leading_group.email = "group@example.invalid"
    cast.leading_group.save()
    staff, head = client_for(cast.bureau_staff), client_for(cast.bureau_head)

    # An amount above what the bank asked is refused, what was typed is kept.
    refused = staff.post(review_url(claim), draft_form(0, amount="450000.00", text="建议全额补偿"))
    assert refused.status_code == 400
    page = refused.content.decode()
    assert "建议补偿金额450000.00元超过银行申请的400000.00元" in page and "建议全额补偿" in page
    assert not ClaimOpinion.objects.exists()

    # The draft: 350,000.00 proposed. It moves nothing.
    assert (
        staff.post(
            review_url(claim), draft_form(0, amount="350000.00", text="材料齐全，建议补偿35万元")
        ).status_code
        == 302
    )
    v1 = ClaimOpinion.objects.get()
    assert (v1.version, v1.amount, v1.handler, v1.head, v1.signed_at) == (
        1,
        Decimal("350000.00"),
        cast.bureau_staff,
        None,
        None,
    )
    assert state(claim) == ClaimState.SUBMITTED
    assert Notification.objects.filter(user=cast.bureau_head, message__contains="第1稿").exists()

    # Neither may take the other's step.
    assert staff.post(review_url(claim), {"action": "sign", "seen_version": "1"}).status_code == 403
    assert (
        head.post(review_url(claim), draft_form(1, amount="1.00", text="负责人自拟")).status_code
        == 403
    )
    assert (
        client_for(cast.admin)
        .post(review_url(claim), {"action": "sign", "seen_version": "1"})
        .status_code
        == 403
    )
    assert state(claim) == ClaimState.SUBMITTED and ClaimOpinion.objects.count() == 1

    # The head reads draft 1 and signs it: the claim goes to the leading group with the proposal.
    shown = head.get(review_url(claim)).content.decode()
    assert "350,000.00" in shown and "材料齐全，建议补偿35万元" in shown
    with django_capture_on_commit_callbacks(execute=True):
        signed = head.post(review_url(claim), {"action": "sign", "seen_version": "1"})
    assert signed.status_code == 302
    assert state(claim) == ClaimState.GROUP_REVIEW
    v1.refresh_from_db()
    assert (v1.head, v1.signed_at is not None) == (cast.bureau_head, True)
    audit = AuditEntry.objects.get(action="compensation.claim.reviewed")
    assert (audit.actor, audit.from_state, audit.to_state) == (
        cast.bureau_head,
        ClaimState.SUBMITTED,
        ClaimState.GROUP_REVIEW,
    )
    assert audit.data["version"] == 1 and audit.data["amount"] == "350000.00"
    assert "group@example.invalid" in {a for m in mail.outbox for a in m.to}
    decide = (
        client_for(cast.leading_group)
        .get(f"/compensation/claims/{claim.public_id}/decide/")
        .content.decode()
    )
    assert 'id="proposal"' in decide and "350,000.00" in decide and 'value="350000.00"' in decide
    detail = head.get(f"/compensation/claims/{claim.public_id}/").content.decode()
    assert 'id="bureau-opinion"' in detail and "350,000.00" in detail


def test_the_head_sends_a_draft_back_and_signs_the_next_version(cast):
    claim = helpers.submitted(cast)
    staff, head = client_for(cast.bureau_staff), client_for(cast.bureau_head)
    staff.post(review_url(claim), draft_form(0, amount="400000.00", text="建议全额补偿"))
    refused = head.post(
        review_url(claim), {"action": "send_back", "seen_version": "1", "reason": " "}
    )
    assert refused.status_code == 400
    assert (
        head.post(
            review_url(claim),
            {
                "action": "send_back",
                "seen_version": "1",
                "reason": "催收证明不足，建议按损失比例核减",
            },
        ).status_code
        == 302
    )
    v1 = ClaimOpinion.objects.get(version=1)
    assert (v1.sent_back_by, v1.sent_back_reason) == (
        cast.bureau_head,
        "催收证明不足，建议按损失比例核减",
    )
    assert state(claim) == ClaimState.SUBMITTED
    assert Notification.objects.filter(
        user=cast.bureau_staff, message__contains="退回修改"
    ).exists()
    # Nothing to sign now.
    assert head.post(review_url(claim), {"action": "sign", "seen_version": "0"}).status_code == 400
    assert (
        staff.post(
            review_url(claim), draft_form(0, amount="300000.00", text="按损失比例建议补偿30万元")
        ).status_code
        == 302
    )
    assert head.post(review_url(claim), {"action": "sign", "seen_version": "2"}).status_code == 302
    assert state(claim) == ClaimState.GROUP_REVIEW
    page = head.get(review_url(claim)).content.decode()
    assert "退回" in page and "签发" in page  # both rounds stay on the page
    assert list(ClaimOpinion.objects.values_list("version", "amount")) == [
        (1, Decimal("400000.00")),
        (2, Decimal("300000.00")),
    ]


def test_a_stale_draft_or_signature_gets_409_naming_who_changed_what(cast):
    claim = helpers.submitted(cast)
    other = UserFactory(
        username="staff2", display_name="周经办", role=Role.BUREAU_STAFF, program=cast.changjiang
    )
    staff, colleague, head = (
        client_for(cast.bureau_staff),
        client_for(other),
        client_for(cast.bureau_head),
    )
    # Both staff open the page with no draft (seen 0); the colleague saves first.
    colleague.post(review_url(claim), draft_form(0, amount="320000.00", text="建议补偿32万元"))
    stale = staff.post(review_url(claim), draft_form(0, amount="380000.00", text="我的意见"))
    assert stale.status_code == 409
    page = stale.content.decode()
    assert "周经办" in page and "第1稿" in page and "建议补偿320000.00元" in page
    assert "我的意见" in page and 'value="380000.00"' in page  # what was typed is kept
    assert ClaimOpinion.objects.count() == 1

    # The head opens draft 1; meanwhile the colleague saves draft 2; the head's signature of 1 is refused.
    colleague.post(review_url(claim), draft_form(1, amount="300000.00", text="核减后建议30万元"))
    refused = head.post(
        review_url(claim), {"action": "sign", "seen_version": "1", "comment": "同意"}
    )
    assert refused.status_code == 409
    assert "周经办" in refused.content.decode() and "第2稿" in refused.content.decode()
    assert state(claim) == ClaimState.SUBMITTED
    assert not ClaimOpinion.objects.filter(signed_at__isnull=False).exists()

    # Once signed, a late send-back of the same draft names the signature.
    assert head.post(review_url(claim), {"action": "sign", "seen_version": "2"}).status_code == 302
    late = head.post(
        review_url(claim), {"action": "send_back", "seen_version": "2", "reason": "再议"}
    )
    assert (
        late.status_code == 409
        and "已于" in late.content.decode()
        and "签发" in late.content.decode()
    )
    assert "再议" in late.content.decode()  # shown back, not saved


def test_the_bureau_rejects_only_through_a_signed_draft(cast):
    claim = helpers.submitted(cast)
    with pytest.raises(services.CompensationError, match="负责人签发"):
        services.claim_send_back(
            actor=cast.bureau_staff, claim=claim, reject=True, comment="不符合"
        )
    services.claim_opinion_draft(
        actor=cast.bureau_staff,
        claim=claim,
        recommendation="reject",
        text="贷款未经领导专班推荐，不符合第十一条第2款(1)",
    )
    assert state(claim) == ClaimState.SUBMITTED
    services.claim_opinion_sign(actor=cast.bureau_head, claim=claim)
    assert state(claim) == ClaimState.REJECTED
    assert ClaimOpinion.objects.get().amount is None
    # Returning the claim to the bank for its materials needs no signature.
    second = helpers.submitted(cast, helpers.bad_loan(cast, contract="HT-SECOND"))
    assert (
        client_for(cast.bureau_staff)
        .post(review_url(second), {"action": "return", "comment": "请补充催收证明"})
        .status_code
        == 302
    )
    assert state(second) == ClaimState.RETURNED
