"""A draft is nobody's business but the enterprise's (issue 17, 5).

Enterprise C has only a draft naming bank X: neither bank X nor any bureau role
may open its profile or download its certificates. A submitted application, a loan
or a confirmed relation widens who sees it; a draft withdrawn before it was ever
submitted does not.
"""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.utils import timezone

from applications.models import Application, Enterprise, Qualification
from kedaitong.roles import Role
from tests.factories import ApplicationFactory, EnterpriseFactory, LoanFactory, UserFactory

pytestmark = pytest.mark.django_db

OUTSIDERS = ("bank_x", "bureau_staff", "bureau_head", "leading_group", "auditor", "bank_y")


@pytest.fixture
def drafting(cast):  # type: ignore[no-untyped-def]
    """Enterprise C, its user, a certificate, and one draft at bank X."""
    enterprise = EnterpriseFactory(name="丙草稿科技有限公司")
    user = UserFactory(username="c-user", role=Role.ENTERPRISE, enterprise=enterprise)
    certificate = Qualification(
        enterprise=enterprise, kind="high_tech", number="GR-C", evidence_name="证书.pdf"
    )
    certificate.evidence.save("cert.pdf", ContentFile(b"%PDF-1.4 cert"), save=False)
    certificate.save()
    draft = ApplicationFactory(
        enterprise=enterprise, bank=cast.bank_x, state=Application.State.DRAFT
    )
    return enterprise, user, certificate, draft


def statuses(cast, url: str, extra=()) -> dict[str, int]:  # type: ignore[no-untyped-def]
    users = cast.users() | dict(extra)
    got = {}
    for role in (*OUTSIDERS, "admin", *dict(extra)):
        client = Client()
        client.force_login(users[role])
        got[role] = client.get(url).status_code
    return got


def urls(enterprise: Enterprise, certificate: Qualification, draft: Application) -> list[str]:
    return [
        f"/enterprises/{enterprise.public_id}/",
        f"/enterprise/qualifications/{certificate.public_id}/evidence/",
        f"/applications/{draft.public_id}/",
    ]


def test_a_draft_shows_the_enterprise_to_nobody_but_itself_and_the_admin(cast, drafting):
    enterprise, user, certificate, draft = drafting
    for url in urls(enterprise, certificate, draft):
        got = statuses(cast, url, {"c": user})
        assert got == {role: 404 for role in OUTSIDERS} | {"admin": 200, "c": 200}, url
    for role in OUTSIDERS:
        assert not Enterprise.objects.visible_to(cast.users()[role]).filter(pk=enterprise.pk)


def test_submission_shows_it_to_the_bureau_and_the_bank_named(cast, drafting):
    enterprise, user, certificate, draft = drafting
    Application.objects.filter(pk=draft.pk).update(
        state=Application.State.SUBMITTED, submitted_at=timezone.now()
    )
    got = statuses(cast, f"/enterprise/qualifications/{certificate.public_id}/evidence/")
    assert got == {
        "bank_x": 200,
        "bureau_staff": 200,
        "bureau_head": 200,
        "leading_group": 200,
        "auditor": 200,
        "bank_y": 404,
        "admin": 200,
    }


def test_a_draft_withdrawn_before_submission_stays_private(cast, drafting):
    enterprise, user, certificate, draft = drafting
    Application.objects.filter(pk=draft.pk).update(state=Application.State.WITHDRAWN)
    for url in urls(enterprise, certificate, draft):
        assert statuses(cast, url) == {role: 404 for role in OUTSIDERS} | {"admin": 200}, url
    # Withdrawn after it was submitted, the bureau keeps what it was shown.
    Application.objects.filter(pk=draft.pk).update(submitted_at=timezone.now())
    got = statuses(cast, f"/applications/{draft.public_id}/")
    assert got["bureau_staff"] == 200 and got["bank_x"] == 404


def test_a_loan_shows_the_enterprise_to_its_bank_and_program(cast, drafting):
    enterprise, user, certificate, draft = drafting
    LoanFactory(enterprise=enterprise, bank=cast.bank_y)
    got = statuses(cast, f"/enterprises/{enterprise.public_id}/")
    assert got == {
        "bank_x": 404,  # named only in the draft
        "bureau_staff": 200,
        "bureau_head": 200,
        "leading_group": 200,
        "auditor": 200,
        "bank_y": 200,
        "admin": 200,
    }
