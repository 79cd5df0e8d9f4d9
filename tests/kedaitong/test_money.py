"""Money helpers: half-up to the fen, no floats, exact allocation, capitals."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kedaitong.money import allocate, parse_amount, rmb_capitals, to_fen, wan_to_yuan


def test_it_rounds_half_up_to_the_fen():
    assert to_fen(Decimal("0.005")) == Decimal("0.01")
    assert to_fen(Decimal("2.675")) == Decimal("2.68")
    assert to_fen(Decimal("-0.005")) == Decimal("-0.01")
    assert to_fen(3) == Decimal("3.00")


def test_it_refuses_floats():
    with pytest.raises(TypeError):
        to_fen(0.1)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1,234.50", Decimal("1234.50")),
        ("¥5000000", Decimal("5000000.00")),
        (" 12.3 ", Decimal("12.30")),
    ],
)
def test_it_parses_amounts_as_typed(text, value):
    assert parse_amount(text) == value


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("12.345", "两位小数"),
        ("-1", "大于零"),
        ("0", "大于零"),
        ("abc", "不是有效的金额"),
        ("NaN", "不是有效的金额"),
    ],
)
def test_it_refuses_bad_amounts_with_a_reason(text, reason):
    with pytest.raises(ValueError, match=reason):
        parse_amount(text)


def test_wan_converts_exactly_and_refuses_sub_fen_precision():
    assert wan_to_yuan(Decimal("500")) == Decimal("5000000.00")
    assert wan_to_yuan(Decimal("12.345678")) == Decimal("123456.78")
    with pytest.raises(ValueError):
        wan_to_yuan(Decimal("0.0000001"))


def test_capitals_follow_the_rmb_convention():
    assert rmb_capitals(Decimal("1000000")) == "壹佰万元整"
    assert rmb_capitals(Decimal("5000000.00")) == "伍佰万元整"
    assert rmb_capitals(Decimal("1234.56")) == "壹仟贰佰叁拾肆元伍角陆分"


def test_allocation_gives_leftover_fens_to_the_largest_remainders():
    assert allocate(Decimal("100.00"), [Decimal(1), Decimal(1), Decimal(1)]) == [
        Decimal("33.34"),
        Decimal("33.33"),
        Decimal("33.33"),
    ]
    assert allocate(Decimal("10.00"), [Decimal("1"), Decimal("2")]) == [
        Decimal("3.33"),
        Decimal("6.67"),
    ]


@given(
    total=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("100000000"), places=2),
    weights=st.lists(
        st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1000000"), places=2),
        min_size=1,
        max_size=30,
    ),
)
def test_allocation_always_sums_to_the_total_and_stays_within_a_fen(total, weights):
    shares = allocate(total, weights)
    assert sum(shares) == total
    weight_sum = sum(weights)
    for share, weight in zip(shares, weights, strict=True):
        assert abs(share - total * weight / weight_sum) < Decimal("0.01")
