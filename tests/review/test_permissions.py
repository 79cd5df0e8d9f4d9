"""Every transition, from its own source state, refused to every other role: service and web (issue 4).

Each row of TABLE puts the application in the transition's source state with
its conditions met, so that only the role stands between the user and the
step. Every other user is then refused through the service (a domain error)
and through the web action (403, or 404 for an outsider who cannot see the
object), and the state is unchanged; last, the allowed user takes the step
through the web, which proves the set-up was right.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from applications.models import Application
from applications.services import DomainError, application_submit
from kedaitong.roles import Role
from loans import services as loan_services
from loans.services import LoanRefused
from review import services
from review.models import Objection, PublicityBatch
from tests.confirming import post_confirmed
from tests.factories import UserFactory
from tests.review.helpers import (
    complete,
    open_batch,
    submitted,
    to_bank_review,
    to_bureau_review,
    to_group_review,
    to_publicity,
)

pytestmark = pytest.mark.django_db

S = Application.State
USERS = (
    "applicant",
    "other_applicant",
    "bureau_staff",
    "bureau_head",
    "leading_group",
    "bank_x_user",
    "bank_y_user",
    "auditor",
    "admin",
    "quzhou_staff",
)
# Who cannot see application A at all (another enterprise, another bank, another program's bureau).
APPLICATION_OUTSIDERS = frozenset({"other_applicant", "bank_y_user", "quzhou_staff"})
PROGRAM_OUTSIDERS = frozenset(
    {"quzhou_staff"}
)  # program-scoped pages behind a government-role check


def users(cast: Any) -> dict[str, Any]:
    found = {name: getattr(cast, name) for name in USERS if name != "quzhou_staff"}
    found["quzhou_staff"] = UserFactory(
        username="qz-staff", role=Role.BUREAU_STAFF, program=cast.quzhou
    )
    return found


def act(client: Any, application: Application, **data: Any) -> Any:
    return post_confirmed(client, f"/review/applications/{application.public_id}/act/", data)


# --- set-ups: the transition's source state with its conditions met -------------------------------


def with_draft(recommendation: str) -> Callable[[Any], Application]:
    def setup(cast: Any) -> Application:
        application = to_bureau_review(cast)
        services.opinion_draft(
            actor=cast.bureau_staff,
            application=application,
            recommendation=recommendation,
            text="起草意见",
        )
        return application

    return setup


def returned(cast: Any) -> Application:
    application = submitted(cast)
    services.application_return(
        actor=cast.bureau_staff,
        application=application,
        reasons=[services.ReturnReason("营业执照", "已过期")],
    )
    return complete(cast, application)


def publicity_over(cast: Any) -> Application:
    application = to_publicity(cast)
    open_batch(
        cast, timezone.localdate() - dt.timedelta(days=40)
    )  # published then: its period is over
    return application


def publicity_objected(cast: Any) -> Application:
    application = to_publicity(cast)
    batch = services.publicity_batch_create(
        actor=cast.bureau_staff, program=cast.changjiang, start_date=timezone.localdate()
    )
    services.objection_submit(
        entry=batch.entries.get(), name="张三", contact="138", reason="拖欠工资"
    )
    return application


def granted(cast: Any) -> Application:
    application = publicity_over(cast)
    services.publicity_batch_close(actor=cast.bureau_staff, batch=PublicityBatch.objects.get())
    application.refresh_from_db()
    assert application.state == S.CREDIT_GRANTED
    return application


# --- the step through the service and through the web, for any user ------------------------------

BANK_TERMS = {
    "credit_amount": Decimal("900000.00"),
    "annual_rate": Decimal("3.4500"),
    "term_months": 12,
}
LOAN = {
    "contract_no": "CJ-P-001",
    "disbursement_date": dt.date(2026, 2, 2),
    "maturity_date": dt.date(2027, 2, 1),
    "principal": Decimal("900000.00"),
    "annual_rate": Decimal("3.4500"),
}
LOAN_POST = {
    "contract_no": "CJ-P-001",
    "contract_date": "2026-02-02",
    "disbursement_date": "2026-02-02",
    "maturity_date": "2027-02-01",
    "principal": "900000.00",
    "annual_rate": "3.4500",
}


def meeting(recommended: bool) -> tuple[Callable[..., Any], Callable[..., Any]]:
    def service(cast: Any, user: Any, a: Application) -> Any:
        return services.meeting_record(
            actor=user,
            program=cast.changjiang,
            date=dt.date(2026, 1, 20),
            attendees=["leader"],
            minutes="",
            decisions=[
                services.DecisionInput(
                    a, recommended, Decimal("800000.00") if recommended else None
                )
            ],
        )

    def web(cast: Any, client: Any, a: Application) -> Any:
        return post_confirmed(
            client,
            "/review/meetings/new/",
            {
                "date": "2026-01-20",
                "attendees": ["leader"],
                f"a{a.pk}-decision": "recommend" if recommended else "decline",
                f"a{a.pk}-amount": "800000.00" if recommended else "",
            },
        )

    return service, web


def batch_close_service(cast: Any, user: Any, a: Application) -> Any:
    return services.publicity_batch_close(actor=user, batch=PublicityBatch.objects.get())


def batch_close_web(cast: Any, client: Any, a: Application) -> Any:
    return client.post(f"/review/publicity/{PublicityBatch.objects.get().public_id}/close/")


def uphold_service(cast: Any, user: Any, a: Application) -> Any:
    return services.objection_rule(
        actor=user, objection=Objection.objects.get(), upheld=True, note="属实"
    )


def uphold_web(cast: Any, client: Any, a: Application) -> Any:
    return client.post(
        f"/review/objections/{Objection.objects.get().public_id}/rule/",
        {"ruling": "upheld", "note": "属实"},
    )


@dataclass(frozen=True)
class Step:
    name: str
    allowed: str
    setup: Callable[[Any], Application]
    target: str
    service: Callable[[Any, Any, Application], Any]
    web: Callable[[Any, Any, Application], Any]
    outsiders: frozenset[str] = (
        APPLICATION_OUTSIDERS  # 404 on the web; every other refused user gets 403
    )


TABLE = [
    Step(
        "accept",
        "bureau_staff",
        submitted,
        S.BUREAU_REVIEW,
        lambda c, u, a: services.application_accept(actor=u, application=a),
        lambda c, cl, a: act(cl, a, action="accept", seen_state="submitted"),
    ),
    Step(
        "return_for_changes",
        "bureau_staff",
        submitted,
        S.RETURNED,
        lambda c, u, a: services.application_return(
            actor=u, application=a, reasons=[services.ReturnReason("3", "过期")]
        ),
        lambda c, cl, a: act(
            cl, a, action="return_for_changes", seen_state="submitted", item_3="过期"
        ),
    ),
    Step(
        "approve",
        "bureau_head",
        with_draft("approve"),
        S.GROUP_REVIEW,
        lambda c, u, a: services.opinion_sign(actor=u, application=a),
        lambda c, cl, a: act(cl, a, action="sign", seen_state="bureau_review"),
    ),
    Step(
        "bureau_reject",
        "bureau_head",
        with_draft("reject"),
        S.REJECTED,
        lambda c, u, a: services.opinion_sign(actor=u, application=a),
        lambda c, cl, a: act(cl, a, action="sign", seen_state="bureau_review"),
    ),
    Step(
        "recommend",
        "leading_group",
        to_group_review,
        S.BANK_REVIEW,
        *meeting(True),
        outsiders=frozenset(),
    ),
    Step(
        "group_reject",
        "leading_group",
        to_group_review,
        S.REJECTED,
        *meeting(False),
        outsiders=frozenset(),
    ),
    Step(
        "bank_approve",
        "bank_x_user",
        to_bank_review,
        S.PUBLICITY,
        lambda c, u, a: services.bank_decide(
            actor=u, application=a, approved=True, opinion="同意", **BANK_TERMS
        ),
        lambda c, cl, a: act(
            cl,
            a,
            action="bank_approve",
            seen_state="bank_review",
            opinion="同意",
            credit_amount="900000.00",
            annual_rate="3.45",
            term_months="12",
        ),
    ),
    Step(
        "bank_reject",
        "bank_x_user",
        to_bank_review,
        S.REJECTED,
        lambda c, u, a: services.bank_decide(
            actor=u, application=a, approved=False, opinion="征信不良"
        ),
        lambda c, cl, a: act(
            cl, a, action="bank_reject", seen_state="bank_review", opinion="征信不良"
        ),
    ),
    Step(
        "grant",
        "bureau_staff",
        publicity_over,
        S.CREDIT_GRANTED,
        batch_close_service,
        batch_close_web,
        outsiders=PROGRAM_OUTSIDERS,
    ),
    Step(
        "objection_reject",
        "bureau_staff",
        publicity_objected,
        S.REJECTED,
        uphold_service,
        uphold_web,
        outsiders=PROGRAM_OUTSIDERS,
    ),
    Step(
        "disburse",
        "bank_x_user",
        granted,
        S.DISBURSED,
        lambda c, u, a: loan_services.application_disburse(actor=u, application=a, **LOAN),
        lambda c, cl, a: act(cl, a, action="disburse", seen_state="credit_granted", **LOAN_POST),
    ),
    Step(
        "withdraw",
        "applicant",
        submitted,
        S.WITHDRAWN,
        lambda c, u, a: services.application_withdraw(actor=u, application=a),
        lambda c, cl, a: cl.post(
            f"/review/applications/{a.public_id}/withdraw/", {"seen_state": "submitted"}
        ),
    ),
    Step(
        "submit",
        "applicant",
        returned,
        S.SUBMITTED,
        lambda c, u, a: application_submit(actor=u, application=a),
        lambda c, cl, a: act(cl, a, action="resubmit", seen_state="returned"),
    ),
]


@pytest.mark.django_db
def test_the_table_covers_every_transition():
    """Every transition of the Changjiang kind's workflow (Quzhou's: tests/review/test_quzhou_flow.py)."""
    from kedaitong import programs

    assert set(programs.spec(cast_kind()).workflow.names) == {step.name for step in TABLE}


def cast_kind() -> str:
    from applications.models import Program

    return Program.objects.get(code="changjiang").kind


@pytest.mark.parametrize("step", TABLE, ids=[s.name for s in TABLE])
def test_every_transition_is_refused_to_every_other_role(client, cast, step):
    everyone = users(cast)
    application = step.setup(cast)
    source = Application.objects.get(pk=application.pk).state
    for name, user in everyone.items():
        if name == step.allowed:
            continue
        with pytest.raises((services.ReviewError, PermissionDenied, DomainError, LoanRefused)):
            step.service(cast, user, Application.objects.get(pk=application.pk))
        assert Application.objects.get(pk=application.pk).state == source, (
            step.name,
            name,
            "service",
        )
        client.force_login(user)
        response = step.web(cast, client, application)
        expected = 404 if name in step.outsiders else 403
        assert response.status_code == expected, (step.name, name, response.status_code)
        assert Application.objects.get(pk=application.pk).state == source, (step.name, name, "web")
    client.force_login(everyone[step.allowed])
    response = step.web(cast, client, application)
    assert response.status_code == 302, (step.name, response.status_code)
    assert Application.objects.get(pk=application.pk).state == step.target
