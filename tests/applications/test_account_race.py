"""Two clerks decide one dispute at the same moment: one decision stands, the other is told (PostgreSQL)."""

from __future__ import annotations

import threading

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.utils import timezone

from applications import services
from applications.models import AccountClaim
from kedaitong.models import AuditEntry, User
from kedaitong.roles import Role
from tests.factories import UserFactory

pytestmark = [
    pytest.mark.postgres,
    # Skip before any database fixture runs: a transactional test's flush is not always undone for the next one.
    pytest.mark.skipif(
        not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
        reason="needs PostgreSQL",
    ),
    pytest.mark.django_db(transaction=True),
]


def test_an_uphold_and_a_refusal_at_once_one_stands(cast):
    claimant = UserFactory(username="real", role="", email_verified_at=timezone.now())
    claim = AccountClaim(
        kind=AccountClaim.Kind.DISPUTE,
        enterprise=cast.enterprise_a,
        claimant=claimant,
        program=cast.changjiang,
        statement="该企业为我方所有。",
    )
    claim.licence.save("licence.pdf", ContentFile(b"%PDF-1.4 l"), save=False)
    claim.authorization.save("letter.pdf", ContentFile(b"%PDF-1.4 a"), save=False)
    claim.save()
    barrier = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def decide(name: str, actor: User, confirm: bool) -> None:
        from django.db import connections

        try:
            barrier.wait()
            services.claim_decide(actor=actor, claim=claim, confirm=confirm, reason="核对")
            outcomes[name] = "won"
        except services.Conflict as exc:
            outcomes[name] = exc
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=decide, args=("uphold", cast.bureau_staff, True)),
        threading.Thread(target=decide, args=("refuse", cast.bureau_head, False)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(str(v) == "won" for v in outcomes.values()) == [False, True], outcomes
    loser = next(v for v in outcomes.values() if v != "won")
    assert "已被" in str(loser)
    claim.refresh_from_db()
    claimant.refresh_from_db()
    cast.applicant.refresh_from_db()
    if outcomes["uphold"] == "won":
        assert claim.state == "confirmed" and claimant.enterprise_id == cast.enterprise_a.pk
        assert cast.applicant.role == ""
    else:
        assert claim.state == "refused" and claimant.enterprise_id is None
        assert cast.applicant.role == Role.ENTERPRISE
    decided = AuditEntry.objects.filter(action__startswith="applications.account.claim_")
    assert decided.count() == 1
