"""Races on PostgreSQL: forty decisions against a budget that fits ten decide exactly ten; twenty payments of one claim
pay it once; thirty returns against a share that fits ten record exactly ten."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connections

from compensation import services
from compensation.models import Claim, ClaimState, CompensationBudget, Decision
from kedaitong.db import MoneySum
from tests.compensation.helpers import ON, bad_loan

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
        reason="needs PostgreSQL",
    ),
    pytest.mark.django_db(transaction=True),
]

THREADS = 40


def claims_in_group_review(cast, n):
    claims = []
    for i in range(n):
        loan = bad_loan(cast, contract=f"RACE-{i:03d}")
        claims.append(
            Claim.objects.create(
                reference=f"RACE-{i:03d}",
                loan=loan,
                bank=loan.bank,
                program=cast.changjiang,
                requested_amount=Decimal("100.00"),
                loss_principal=Decimal("1000.00"),
                overdue_since=ON,
                case_number="c",
                description="d",
                state=ClaimState.GROUP_REVIEW,
            )
        )
    return claims


def test_forty_concurrent_decisions_spend_exactly_the_budget(cast):
    claims = claims_in_group_review(cast, THREADS)
    services.budget_set(
        actor=cast.leading_group, program=cast.changjiang, year=ON.year, amount="1000.00"
    )
    barrier = threading.Barrier(THREADS)
    outcomes: list[str] = []

    def decide(claim: Claim) -> None:
        try:
            barrier.wait()
            services.claim_decide(
                actor=cast.leading_group,
                claim=claim,
                amount="100.00",
                covered_loss="1000.00",
                on=ON,
            )
            outcomes.append("decided")
        except services.CompensationError:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=decide, args=(c,)) for c in claims]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("decided") == 10 and outcomes.count("refused") == 30
    budget = CompensationBudget.objects.get()
    assert (
        budget.committed
        == Decimal("1000.00")
        == Decision.objects.aggregate(s=MoneySum("amount"))["s"]
    )
    assert Claim.objects.filter(state=ClaimState.DECIDED).count() == 10


def run_at_once(n: int, call) -> list[str]:
    barrier = threading.Barrier(n)
    outcomes: list[str] = []

    def one(i: int) -> None:
        try:
            barrier.wait()
            call(i)
            outcomes.append("done")
        except services.CompensationError:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


def test_twenty_concurrent_payments_of_one_claim_pay_it_once(cast):
    import datetime as dt

    from compensation.models import Payment
    from tests.compensation.helpers import decided

    claim = decided(cast)
    outcomes = run_at_once(
        20,
        lambda i: services.claim_pay(
            actor=cast.bureau_staff,
            claim=claim,
            paid_on=dt.date(2026, 11, 23),
            voucher_no=f"BF-{i}",
        ),
    )
    assert outcomes.count("done") == 1 and Payment.objects.filter(claim=claim).count() == 1


def test_thirty_concurrent_returns_never_exceed_the_share(cast):
    import datetime as dt

    from compensation.models import Recovery, ShareReturn
    from tests.compensation.helpers import with_recovery

    recovery = with_recovery(cast, "80000.00", ())  # share 30000.00: fits ten returns of 3000.00
    outcomes = run_at_once(
        30,
        lambda i: services.return_record(
            actor=cast.bank_x_user,
            recovery=recovery,
            amount="3000.00",
            returned_on=dt.date(2026, 11, 25),
            voucher_no=f"J{i}",
        ),
    )
    assert outcomes.count("done") == 10
    assert (
        Recovery.objects.get(pk=recovery.pk).returned
        == Decimal("30000.00")
        == ShareReturn.objects.aggregate(s=MoneySum("amount"))["s"]
    )
