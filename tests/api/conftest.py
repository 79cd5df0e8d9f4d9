"""A Quzhou world for the bank API: banks X and Y on file, a listed enterprise, one loan at each bank."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from applications.models import ProgramListing
from kedaitong.roles import Role
from loans.models import BankAgreement
from tests.api.helpers import today_clock
from tests.factories import BankFactory, EnterpriseFactory, LoanFactory, UserFactory, version


@pytest.fixture(autouse=True)
def _clock():
    with today_clock():
        yield


@pytest.fixture
def world(db):
    quzhou = version("quzhou")
    bank_x = BankFactory(code="bank-x", name="X银行")
    bank_y = BankFactory(code="bank-y", name="Y银行")
    for bank in (bank_x, bank_y):
        BankAgreement.objects.create(
            bank=bank,
            program=quzhou.program,
            starts_on=dt.date(2024, 1, 1),
            ends_on=dt.date(2026, 12, 31),
        )
    enterprise = EnterpriseFactory(name="衢州甲科技有限公司")
    ProgramListing.objects.create(
        program=quzhou.program,
        credit_code=enterprise.credit_code,
        name=enterprise.name,
        listed_on=dt.date(2024, 1, 1),
    )
    loan = LoanFactory(
        program_version=quzhou,
        bank=bank_x,
        enterprise=enterprise,
        contract_no="QZ-1",
        disbursement_date=dt.date(2025, 1, 6),
        maturity_date=dt.date(2027, 1, 5),
        annual_rate=Decimal("3.0"),
    )
    loan_y = LoanFactory(
        program_version=quzhou,
        bank=bank_y,
        enterprise=EnterpriseFactory(name="衢州乙科技有限公司"),
        contract_no="QZ-Y",
        disbursement_date=dt.date(2025, 1, 6),
        maturity_date=dt.date(2027, 1, 5),
        annual_rate=Decimal("3.0"),
    )
    return {
        "program": quzhou.program,
        "bank_x": bank_x,
        "bank_y": bank_y,
        "enterprise": enterprise,
        "loan": loan,
        "loan_y": loan_y,
        "clerk_x": UserFactory(username="clerk-x", role=Role.BANK, bank=bank_x),
        "clerk_y": UserFactory(username="clerk-y", role=Role.BANK, bank=bank_y),
    }
