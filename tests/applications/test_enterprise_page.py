"""The enterprise follows its application on its own page (issue 18, item 1).

`/applications/<id>/`: the kind's step tracker with who acts next, every return reason and signed opinion meant
for the enterprise (not a draft in the making), withdraw, and delete for a draft (a confirmation page first).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from applications.models import Application
from kedaitong.models import AuditEntry
from review import services as review
from tests.factories import ApplicationFactory
from tests.review.helpers import submitted, to_bureau_review, to_group_review

pytestmark = pytest.mark.django_db


def page(client, application) -> str:  # type: ignore[no-untyped-def]
    response = client.get(f"/applications/{application.public_id}/")
    assert response.status_code == 200
    return response.content.decode()


def draft(cast) -> Application:  # type: ignore[no-untyped-def]
    return ApplicationFactory(
        enterprise=cast.enterprise_a,
        bank=cast.bank_x,
        state=Application.State.DRAFT,
        amount=Decimal("800000.00"),
    )


def test_a_submitted_application_shows_its_step_who_acts_next_and_withdraw(cast, client):
    application = submitted(cast)
    client.force_login(cast.applicant)
    html = page(client, application)
    assert 'aria-current="step">提交申请</li>' in html
    assert '<p id="next-role">下一步办理：科技局经办人</p>' in html
    assert f'href="/review/applications/{application.public_id}/withdraw/"' in html
    assert 'id="delete-draft"' not in html


def test_the_return_reasons_are_shown_to_the_enterprise(cast, client):
    application = to_bureau_review(cast)
    review.application_return(
        actor=cast.bureau_staff,
        application=application,
        comment="请补正材料",
        reasons=[review.ReturnReason("营业执照", "已过期，请上传新证")],
    )
    client.force_login(cast.applicant)
    html = page(client, application)
    assert "退回修改意见" in html or "退回修改" in html
    assert "请补正材料" in html
    assert "<strong>营业执照</strong>：已过期，请上传新证" in html
    assert '<p id="next-role">下一步办理：企业</p>' in html


def test_a_draft_opinion_is_not_shown_until_the_head_signs_it(cast, client):
    application = to_bureau_review(cast)
    review.opinion_draft(
        actor=cast.bureau_staff,
        application=application,
        recommendation="approve",
        text="经办人草拟：同意推荐",
    )
    client.force_login(cast.applicant)
    assert "经办人草拟" not in page(client, application)
    review.opinion_sign(actor=cast.bureau_head, application=application)
    html = page(client, application)
    assert "经办人草拟：同意推荐" in html
    assert '<p id="next-role">下一步办理：领导专班</p>' in html


def test_the_enterprise_deletes_its_draft_after_a_confirmation(cast, client):
    application = draft(cast)
    client.force_login(cast.applicant)
    html = page(client, application)
    assert 'id="delete-draft"' in html and 'id="withdraw"' not in html
    confirm = client.get(f"/applications/{application.public_id}/delete/")
    text = confirm.content.decode()
    assert confirm.status_code == 200
    assert "800,000.00" in text and "捌拾万元整" in text
    assert Application.objects.filter(pk=application.pk).exists()  # GET changes nothing
    response = client.post(f"/applications/{application.public_id}/delete/")
    assert response.status_code == 302 and response["Location"] == "/"
    assert not Application.objects.filter(pk=application.pk).exists()
    entry = AuditEntry.objects.get(action="applications.application.deleted")
    assert entry.actor == cast.applicant and entry.data["amount"] == "800000.00"


def test_a_submitted_application_cannot_be_deleted(cast, client):
    application = to_group_review(cast)
    client.force_login(cast.applicant)
    response = client.post(f"/applications/{application.public_id}/delete/", follow=True)
    assert "只有草稿可以删除" in response.content.decode()
    assert Application.objects.filter(pk=application.pk).exists()
    assert not AuditEntry.objects.filter(action="applications.application.deleted").exists()


def test_only_the_enterprise_deletes_its_draft(cast, client):
    application = draft(cast)
    client.force_login(cast.bureau_staff)
    assert client.post(f"/applications/{application.public_id}/delete/").status_code in {403, 404}
    client.force_login(cast.other_applicant)
    assert client.post(f"/applications/{application.public_id}/delete/").status_code == 404
    assert Application.objects.filter(pk=application.pk).exists()


def test_withdrawing_returns_the_enterprise_to_its_page(cast, client):
    application = submitted(cast)
    client.force_login(cast.applicant)
    response = client.post(
        f"/review/applications/{application.public_id}/withdraw/",
        {"seen_state": "submitted", "reason": "资金需求变化"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/applications/{application.public_id}/"
    application.refresh_from_db()
    assert application.state == Application.State.WITHDRAWN
