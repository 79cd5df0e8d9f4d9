"""MoneySum adds yuan exactly, where Sum on SQLite adds binary floats."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Q

from kedaitong.db import MoneySum
from loans.models import InterestSettlement

pytestmark = pytest.mark.django_db


def test_thousands_of_fens_add_up_exactly(cast):
    amounts = [Decimal("0.10"), Decimal("0.20"), Decimal("1000.05"), Decimal("33.33")] * 750
    InterestSettlement.objects.bulk_create(
        [
            InterestSettlement(
                loan=cast.loan_a,
                settled_on=dt.date(2026, 3, 20),
                period_start=dt.date(2026, 2, 10),
                period_end=dt.date(2026, 3, 20),
                amount=amount,
                is_overdue_interest=i % 2 == 0,
            )
            for i, amount in enumerate(amounts)
        ]
    )
    figures = InterestSettlement.objects.aggregate(
        total=MoneySum("amount"), overdue=MoneySum("amount", filter=Q(is_overdue_interest=True))
    )
    assert figures["total"] == sum(amounts) == Decimal("775260.00")
    assert figures["overdue"] == sum(amounts[0::2]) == Decimal("750112.50")
    per_loan = dict(
        InterestSettlement.objects.order_by().values_list("loan").annotate(s=MoneySum("amount"))
    )
    assert per_loan == {cast.loan_a.pk: Decimal("775260.00")}


def test_an_empty_sum_is_none(cast):
    assert InterestSettlement.objects.aggregate(s=MoneySum("amount"))["s"] is None
