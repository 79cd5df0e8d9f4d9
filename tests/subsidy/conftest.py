"""Quzhou fixtures for the subsidy tests: program-scoped users, two banks on file, helpers for loans and interest."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest

from applications.models import Program, ProgramVersion
from kedaitong.models import User
from kedaitong.roles import Role
from loans.delinquency import months_later
from loans.models import Bank, InterestSettlement, Loan
from tests.factories import (
    BankAgreementFactory,
    BankFactory,
    EnterpriseFactory,
    LoanFactory,
    UserFactory,
)


@dataclass
class Qz:
    program: Program
    v2023: ProgramVersion
    v2020: ProgramVersion
    staff: User
    head: User
    auditor: User
    other_staff: User  # Changjiang bureau staff: an outsider here
    bank_a: Bank
    bank_b: Bank
    bank_user: User

    def loan(
        self,
        *,
        bank: Bank | None = None,
        contract: str,
        disbursed=dt.date(2025, 3, 1),
        rate="3.00",
        lpr="3.10",
        version=None,
        **kw,
    ) -> Loan:
        return LoanFactory(
            program_version=version or self.v2023,
            bank=bank or self.bank_a,
            contract_no=contract,
            disbursement_date=disbursed,
            maturity_date=months_later(disbursed, 12),
            annual_rate=Decimal(rate),
            lpr_at_pricing=None if lpr is None else Decimal(lpr),
            **kw,
        )

    @staticmethod
    def interest(
        loan: Loan, amount: str, settled=dt.date(2025, 6, 21), overdue=False
    ) -> InterestSettlement:
        return InterestSettlement.objects.create(
            loan=loan,
            settled_on=settled,
            period_start=settled - dt.timedelta(days=90),
            period_end=settled,
            amount=Decimal(amount),
            is_overdue_interest=overdue,
        )


@pytest.fixture
def qz(db) -> Qz:
    program = Program.objects.get(code="quzhou")
    changjiang = Program.objects.get(code="changjiang")
    bank_a = BankFactory(code="qz-a", name="衢州甲银行")
    bank_b = BankFactory(code="qz-b", name="衢州乙银行")
    for bank in (bank_a, bank_b):
        BankAgreementFactory(
            bank=bank, program=program, starts_on=dt.date(2024, 1, 1), ends_on=dt.date(2026, 12, 31)
        )
    return Qz(
        program=program,
        v2023=ProgramVersion.objects.get(program=program, code="2023"),
        v2020=ProgramVersion.objects.get(program=program, code="2020"),
        staff=UserFactory(username="qz_staff", role=Role.BUREAU_STAFF, program=program),
        head=UserFactory(username="qz_head", role=Role.BUREAU_HEAD, program=program),
        auditor=UserFactory(username="qz_auditor", role=Role.AUDITOR, program=program),
        other_staff=UserFactory(username="cj_staff", role=Role.BUREAU_STAFF, program=changjiang),
        bank_a=bank_a,
        bank_b=bank_b,
        bank_user=UserFactory(username="qz_bank", role=Role.BANK, bank=bank_a),
    )


@pytest.fixture
def enterprise(db):
    return EnterpriseFactory(name="衢州测试科技有限公司")
