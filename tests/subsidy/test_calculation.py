"""Quzhou 四(一): 30% of settled interest to the fen; pro-rating to the budget by largest remainder."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kedaitong.money import allocate
from subsidy.calculation import prorate, subsidy_line

D = Decimal


def test_line_is_thirty_percent_rounded_half_up():
    assert subsidy_line(D("100.05"), D("0.3")) == D("30.02")  # 30.015 → 30.02
    assert subsidy_line(D("100.01"), D("0.3")) == D("30.00")  # 30.003 → 30.00
    assert subsidy_line(D("0.01"), D("0.3")) == D("0.00")


def test_line_refuses_negative_interest():
    with pytest.raises(ValueError):
        subsidy_line(D("-1"), D("0.3"))


def test_under_the_budget_nothing_changes():
    result = prorate(D("1000"), [(("a", "1"), D("300.00")), (("b", "2"), D("700.00"))])
    assert result.amounts == [D("300.00"), D("700.00")]
    assert not result.scaled


def test_over_the_budget_lines_scale_down_and_sum_exactly():
    result = prorate(
        D("100.00"),
        [(("a", "1"), D("100.00")), (("a", "2"), D("100.00")), (("b", "1"), D("100.00"))],
    )
    assert result.scaled
    assert sum(result.amounts) == D("100.00")
    # 33.333… each: one fen left, all remainders equal → the lowest (bank code, contract) gets it.
    assert result.amounts == [D("33.34"), D("33.33"), D("33.33")]


def test_ties_go_by_bank_code_then_contract_whatever_the_input_order():
    lines = [(("b", "1"), D("1.00")), (("a", "2"), D("1.00")), (("a", "1"), D("1.00"))]
    result = prorate(D("2.00"), lines)
    # 0.666… each: floors 0.66 ×3 = 1.98, two fens left → ("a","1") then ("a","2").
    assert dict(zip([k for k, _ in lines], result.amounts, strict=True)) == {
        ("a", "1"): D("0.67"),
        ("a", "2"): D("0.67"),
        ("b", "1"): D("0.66"),
    }


def test_largest_remainder_wins_over_tie_break():
    # shares: 0.75×… budget 1.00 over 1.00+0.33 → exact 0.7518…, 0.2481…
    result = prorate(D("1.00"), [(("a", "1"), D("1.00")), (("z", "9"), D("0.33"))])
    assert result.amounts == [D("0.75"), D("0.25")]


def test_budget_must_be_positive():
    with pytest.raises(ValueError):
        prorate(D("0"), [(("a", "1"), D("1.00"))])


money = st.decimals(min_value=D("0.01"), max_value=D("99999.99"), places=2)


@settings(max_examples=200, deadline=None)
@given(
    amounts=st.lists(money, min_size=1, max_size=40),
    budget=money,
)
def test_property_sum_is_budget_and_each_line_within_a_fen(amounts, budget):
    lines = [((f"b{i % 3}", f"c{i:03d}"), a) for i, a in enumerate(amounts)]
    result = prorate(budget, lines)
    total = sum(amounts)
    if total <= budget:
        assert result.amounts == amounts
        return
    assert sum(result.amounts) == budget
    for (_k, a), got in zip(lines, result.amounts, strict=True):
        exact = a * budget / total  # the unrounded pro-rated share
        assert abs(got - exact) < D("0.01")
        assert got <= a


@settings(max_examples=100, deadline=None)
@given(amounts=st.lists(money, min_size=1, max_size=30), budget=money)
def test_property_matches_money_allocate_when_ordered_by_key(amounts, budget):
    """`kedaitong.money.allocate` gives the same result once lines are sorted by (bank code, contract)."""
    lines = sorted(((f"b{i % 4}", f"c{(7 * i) % 31:03d}-{i}"), a) for i, a in enumerate(amounts))
    if sum(amounts) <= budget:
        return
    assert prorate(budget, lines).amounts == allocate(budget, [a for _k, a in lines])
