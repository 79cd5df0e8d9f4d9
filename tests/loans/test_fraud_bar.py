"""Quzhou 六: loan registration refuses a bank (or enterprise) with a fraud record, naming it."""

from __future__ import annotations

import datetime as dt

import pytest

from loans.models import Loan
from subsidy.models import FraudRecord
from tests.factories import BankFactory, EnterpriseFactory, UserFactory, version
from tests.loans.test_loan_register import refusal, register

pytestmark = pytest.mark.django_db


def fraud(**who) -> FraudRecord:
    return FraudRecord.objects.create(
        program=version("quzhou").program,
        found_on=dt.date(2025, 4, 8),
        description="虚构贷款骗取贴息",
        evidence="fraud.pdf",
        recorded_by=UserFactory(),
        **who,
    )


def test_a_defrauding_bank_cannot_register_a_loan():
    bank = BankFactory(name="衢州骗贴银行")
    fraud(bank=bank)
    problems = refusal(bank=bank)
    assert (
        "衢州骗贴银行已被认定骗取科技金融合作贷款或贴息（2025-04-08），不得再参与（衢州方案六）"
        in problems
    )
    assert not Loan.objects.exists()
    # another bank registers the same enterprise's loan
    enterprise = EnterpriseFactory()
    assert register(enterprise=enterprise).bank != bank


def test_a_defrauding_enterprise_cannot_get_a_loan():
    enterprise = EnterpriseFactory(name="衢州骗贷科技有限公司")
    fraud(enterprise=enterprise)
    problems = refusal(enterprise=enterprise)
    assert any(p.startswith("衢州骗贷科技有限公司已被认定骗取") for p in problems)
    assert not Loan.objects.exists()
