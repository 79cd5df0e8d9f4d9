"""Two people act on one application at the same moment: one wins, the other is told who changed what (PostgreSQL)."""

from __future__ import annotations

import threading

import pytest
from django.conf import settings

from applications.models import Application
from review import services
from review.models import Opinion
from tests.review.helpers import submitted

pytestmark = [
    pytest.mark.postgres,
    # Skip before any database fixture runs: a transactional test's flush is not always undone for the next one.
    pytest.mark.skipif(
        not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
        reason="needs PostgreSQL",
    ),
    pytest.mark.django_db(transaction=True),
]


def test_two_clerks_at_once_one_wins_the_other_is_told(cast):
    application = submitted(cast)
    barrier = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def act(name: str, call) -> None:
        from django.db import connections

        try:
            barrier.wait()
            call()
            outcomes[name] = "won"
        except services.StaleApplication as exc:
            outcomes[name] = exc
        finally:
            connections.close_all()

    accept = threading.Thread(
        target=act,
        args=(
            "accept",
            lambda: services.application_accept(
                actor=cast.bureau_staff, application=application, seen_state="submitted"
            ),
        ),
    )
    ret = threading.Thread(
        target=act,
        args=(
            "return",
            lambda: services.application_return(
                actor=cast.bureau_staff,
                application=application,
                seen_state="submitted",
                reasons=[services.ReturnReason("营业执照", "过期")],
            ),
        ),
    )
    accept.start()
    ret.start()
    accept.join(30)
    ret.join(30)
    assert sorted(str(type(v).__name__) for v in outcomes.values()) == ["StaleApplication", "str"]
    application.refresh_from_db()
    winner = next(name for name, v in outcomes.items() if v == "won")
    loser = next(v for v in outcomes.values() if v != "won")
    assert application.state == {"accept": "bureau_review", "return": "returned"}[winner]
    assert loser.change is not None and loser.change.to_state == application.state
    # The loser left nothing behind: a return that lost wrote no reasons.
    assert Opinion.objects.filter(application=application).count() == (
        1 if winner == "return" else 0
    )
    assert Application.objects.filter(pk=application.pk).count() == 1
