"""Amounts too large get an answer, not a 500 (issue 16 item 12).

`1e30` or `100000000000000000` in a budget, a loan form or `?budget=` raised a decimal
signal (the quantize to the fen of a 31-digit number) or overflowed the money column.
One parser (`kedaitong.money.parse_amount`, the field `kedaitong.forms.AmountField`)
refuses more than 14 integer digits — what DecimalField(max_digits=16, decimal_places=2)
holds — and exponents, with a message in Chinese; what was typed stays in the form.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client

from applications.models import ProgramListing
from compensation.models import CompensationBudget
from kedaitong.money import MAX_AMOUNT, parse_amount
from loans.models import BankAgreement, Loan
from tests.factories import credit_code

pytestmark = pytest.mark.django_db
HUGE = ["1e30", "100000000000000000", "1,000,000,000,000,000.00"]


def test_the_parser_takes_14_integer_digits_and_no_more():
    assert parse_amount("99,999,999,999,999.99") == MAX_AMOUNT == Decimal("99999999999999.99")
    for text in HUGE + ["100000000000000", "1E+15"]:
        with pytest.raises(ValueError, match="14位整数"):
            parse_amount(text)


@pytest.mark.parametrize("amount", HUGE)
def test_a_huge_budget_is_refused_in_chinese_and_nothing_is_saved(cast, amount):
    client = Client()
    client.force_login(cast.leading_group)
    response = client.post(
        "/compensation/budgets/", {"year": "2026", "amount": amount, "reason": ""}
    )
    page = response.content.decode()
    assert response.status_code in (200, 400) and "14位整数" in page
    assert amount in page  # kept in the form
    assert not CompensationBudget.objects.exists()


@pytest.mark.parametrize("amount", HUGE)
def test_a_huge_principal_on_the_loan_form_is_refused_in_chinese(cast, amount):
    code = credit_code(7101, region="330800")
    BankAgreement.objects.create(
        bank=cast.bank_x,
        program=cast.quzhou,
        starts_on=dt.date(2024, 1, 1),
        ends_on=dt.date(2026, 12, 31),
    )
    ProgramListing.objects.create(
        program=cast.quzhou,
        credit_code=code,
        name="衢州大额科技有限公司",
        listed_on=dt.date(2024, 1, 1),
    )
    client = Client()
    client.force_login(cast.bank_x_user)
    client.post("/program/switch/", {"program": "quzhou"})  # bank X lends in both programs
    response = client.post(
        "/loans/new/",
        {
            "program": cast.quzhou.pk,
            "credit_code": code,
            "contract_no": "QZ-HUGE",
            "contract_date": "2025-06-03",
            "disbursement_date": "2025-06-03",
            "maturity_date": "2026-06-02",
            "principal": amount,
            "annual_rate": "3.0",
        },
    )
    assert response.status_code == 400 and "14位整数" in response.content.decode()
    assert not Loan.objects.filter(contract_no="QZ-HUGE").exists()
