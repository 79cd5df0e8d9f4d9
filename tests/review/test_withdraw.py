"""The enterprise withdraws an open application (DESIGN.md: any open state ─withdraw→ withdrawn)."""

from __future__ import annotations

import pytest

from applications.models import Application
from kedaitong.models import AuditEntry
from review import services
from review.models import Notification
from tests.review.helpers import submitted, to_group_review, to_publicity

pytestmark = pytest.mark.django_db

S = Application.State


def url(application: Application) -> str:
    return f"/review/applications/{application.public_id}/withdraw/"


def test_get_asks_for_confirmation_and_changes_nothing(client, cast):
    application = submitted(cast)
    client.force_login(cast.applicant)
    review = client.get(f"/review/applications/{application.public_id}/").content.decode()
    assert url(application) in review
    response = client.get(url(application))
    assert response.status_code == 200
    assert 'name="seen_state" value="submitted"' in response.content.decode()
    assert Application.objects.get(pk=application.pk).state == S.SUBMITTED


@pytest.mark.parametrize("step", [submitted, to_group_review, to_publicity])
def test_the_enterprise_withdraws_an_open_application(client, cast, step):
    application = step(cast)
    was = application.state
    client.force_login(cast.applicant)
    response = client.post(
        url(application), {"reason": "资金已通过其他渠道解决", "seen_state": was}
    )
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.state == S.WITHDRAWN
    entry = AuditEntry.objects.for_object(application).get(
        action="applications.application.withdraw"
    )
    assert (entry.actor, entry.from_state, entry.to_state, entry.comment) == (
        cast.applicant,
        was,
        "withdrawn",
        "资金已通过其他渠道解决",
    )
    assert Notification.objects.filter(user=cast.bureau_staff, application=application).exists()


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("bureau_staff", 403),
        ("bureau_head", 403),
        ("leading_group", 403),
        ("bank_x_user", 403),
        ("auditor", 403),
        ("admin", 403),
        ("other_applicant", 404),
        ("bank_y_user", 404),
    ],
)
def test_other_roles_may_not_withdraw(client, cast, who, status):
    application = submitted(cast)
    client.force_login(getattr(cast, who))
    assert client.post(url(application), {"seen_state": "submitted"}).status_code == status
    assert Application.objects.get(pk=application.pk).state == S.SUBMITTED
    with pytest.raises(services.ReviewError):
        services.application_withdraw(actor=getattr(cast, who), application=application)
    assert Application.objects.get(pk=application.pk).state == S.SUBMITTED


def test_credit_granted_is_no_longer_open(client, cast):
    application = to_publicity(cast)
    Application.objects.filter(pk=application.pk).update(state=S.CREDIT_GRANTED)
    client.force_login(cast.applicant)
    page = client.get(url(application))
    assert page.status_code == 200 and 'name="seen_state"' not in page.content.decode()
    response = client.post(url(application), {"seen_state": "credit_granted"})
    assert response.status_code == 400
    assert Application.objects.get(pk=application.pk).state == S.CREDIT_GRANTED


def test_a_stale_withdrawal_is_refused(client, cast):
    application = submitted(cast)
    services.application_accept(actor=cast.bureau_staff, application=application)
    client.force_login(cast.applicant)
    response = client.post(url(application), {"seen_state": "submitted", "reason": "不需要了"})
    assert response.status_code == 409 and "不需要了" in response.content.decode()
    assert Application.objects.get(pk=application.pk).state == S.BUREAU_REVIEW
