"""Opening a loan records the LPR in force on the disbursement date and an audit row."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from kedaitong.models import AuditEntry
from loans.services import LoanRefused, loan_register
from tests.factories import BankFactory, EnterpriseFactory, UserFactory, version

pytestmark = pytest.mark.django_db


def register(**overrides):
    values = {
        "actor": None,
        "program_version": version("quzhou"),
        "enterprise": EnterpriseFactory(),
        "bank": BankFactory(),
        "contract_no": "HT-1",
        "disbursement_date": dt.date(2024, 10, 21),
        "maturity_date": dt.date(2025, 10, 20),
        "principal": Decimal("1000000.00"),
        "annual_rate": Decimal("3.1000"),
    }
    values.update(overrides)
    return loan_register(**values)


def test_it_prices_against_the_lpr_of_the_disbursement_date():
    loan = register()
    assert loan.lpr_at_pricing == Decimal("3.1000")
    assert AuditEntry.objects.get(action="loans.loan.registered").object_id == str(loan.pk)


def test_it_lists_every_problem_at_once():
    bank = BankFactory()
    register(bank=bank)
    with pytest.raises(LoanRefused) as excinfo:
        register(bank=bank, maturity_date=dt.date(2024, 1, 1), principal=Decimal("0"))
    assert len(excinfo.value.problems) == 3


def test_a_bank_or_enterprise_found_to_have_defrauded_cannot_register_loans():
    """Quzhou 六: 一经发现，不得再参与."""
    from subsidy.models import FraudRecord

    enterprise = EnterpriseFactory(name="骗贷企业")
    FraudRecord.objects.create(
        program=version("quzhou").program, enterprise=enterprise, found_on=dt.date(2025, 6, 1), description="虚构研发用途",
        evidence="fraud/evidence.pdf", recorded_by=UserFactory(username="recorder"),
    )
    with pytest.raises(LoanRefused) as excinfo:
        register(enterprise=enterprise)
    assert "骗贷企业已被认定骗取" in excinfo.value.problems[0]
    assert register(contract_no="HT-2").pk  # another enterprise is not barred
