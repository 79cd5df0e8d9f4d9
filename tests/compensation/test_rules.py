"""The pure rules of 第十一条: share rounding, caps, netting, budget fit; properties with hypothesis."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from compensation import rules
from compensation.services import certificate_due

fen = st.integers(min_value=1, max_value=10**14).map(lambda n: Decimal(n) / 100)


def exact_half_up(value: Fraction) -> Decimal:
    fens = value * 100
    whole, rest = divmod(fens.numerator, fens.denominator)
    if 2 * rest >= fens.denominator:
        whole += 1
    return Decimal(whole) / 100


def test_share_is_rounded_half_up_once():
    # 0.01 × 1 / 2 = 0.005 → 0.01 (half-up), never 0.00
    assert rules.pool_share(Decimal("0.01"), Decimal("1"), Decimal("2")) == Decimal("0.01")
    assert rules.pool_share(Decimal("95000.01"), Decimal("300000"), Decimal("800000")) == Decimal(
        "35625.00"
    )


@given(net=fen, amount=fen, covered=fen)
def test_share_equals_exact_rational_rounding(net, amount, covered):
    if amount > covered:
        amount, covered = covered, amount
    expected = exact_half_up(Fraction(net) * Fraction(amount) / Fraction(covered))
    share = rules.pool_share(net, amount, covered)
    assert share == expected
    assert share <= net  # ratio ≤ 1, so the share never exceeds the net recovery


@given(
    paid=fen,
    recoveries=st.lists(st.tuples(fen, st.integers(min_value=0, max_value=100)), max_size=8),
    covered_extra=st.integers(min_value=0, max_value=10**12),
)
def test_shares_of_a_claim_never_exceed_what_the_pool_paid(paid, recoveries, covered_extra):
    covered = paid + Decimal(covered_extra) / 100
    so_far = Decimal("0.00")
    for gross, cost_pct in recoveries:
        costs = (gross * cost_pct / 100).quantize(Decimal("0.01"))
        _total, net = rules.recovery_figures(gross, [costs] if costs else [])
        share = rules.capped_share(rules.pool_share(net, paid, covered), paid, so_far)
        assert Decimal("0") <= share <= net
        so_far += share
    assert so_far <= paid


def test_costs_above_the_gross_are_refused():
    with pytest.raises(ValueError, match="超过清收金额"):
        rules.recovery_figures(Decimal("100.00"), [Decimal("60.00"), Decimal("40.01")])
    assert rules.recovery_figures(Decimal("100.00"), [Decimal("60.00"), Decimal("40.00")]) == (
        Decimal("100.00"),
        Decimal("0.00"),
    )


@given(budget=fen, amounts=st.lists(fen, max_size=20))
def test_decisions_never_exceed_the_budget(budget, amounts):
    committed = Decimal("0.00")
    for amount in amounts:
        new = rules.remaining_after(budget, committed, amount)
        if new is not None:
            committed = new
        assert committed <= budget


def test_article_6_passes_for_a_granted_loan_of_the_same_bank():
    ok = dict(
        program_has_pool=True,
        loan_bank_id=1,
        loan_enterprise_id=2,
        loan_principal=Decimal("100"),
        application_state="disbursed",
        application_bank_id=1,
        application_enterprise_id=2,
        granted=None,
    )
    assert rules.lending_met_article_6(**ok) == []
    assert rules.lending_met_article_6(**ok | {"granted": Decimal("100")}) == []
    assert rules.lending_met_article_6(**ok | {"granted": Decimal("99.99")}) == [
        "贷款本金100元超过授信金额99.99元"
    ]
    assert rules.lending_met_article_6(
        **ok | {"application_state": None, "application_bank_id": None}
    )[0].startswith("该贷款没有")


@pytest.mark.django_db
def test_a_write_off_on_2025_09_29_has_its_certificate_due_on_2025_10_13():
    # 9-30 is a working day, 10-1..10-8 the National Day holiday, 10-11 (Saturday) an adjusted working day.
    assert certificate_due(dt.date(2025, 9, 29)) == (dt.date(2025, 10, 13), [])


@pytest.mark.django_db
def test_a_year_the_calendar_does_not_know_counts_weekends_only_and_says_so():
    due, unknown = certificate_due(dt.date(2027, 9, 29))  # Wednesday
    assert due == dt.date(2027, 10, 6) and unknown == [2027]
