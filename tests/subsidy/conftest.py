"""Quzhou fixtures for the subsidy tests: program-scoped users, two banks on file, helpers for loans and interest,
the bureau's clock, and a helper that takes a run through 四(一)'s stages on fixed days.

The clock: every test here starts on the bureau's Monday 2026-03-02, 10:00 in Shanghai (2025 is closed, and
it is the March of 四(一)); `clock.move_to(shanghai(day))` moves it on. Nothing here reads the real date.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from applications.models import Program, ProgramVersion
from kedaitong.models import User
from kedaitong.roles import Role
from loans.delinquency import months_later
from loans.models import Bank, InterestSettlement, Loan
from tests.clock import bureau
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
    accountant: User  # the third-party accounting firm (四(一))
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
        accountant=UserFactory(
            username="qz_accountant",
            role=Role.ACCOUNTANT,
            program=program,
            email="kuaiji@example.invalid",
        ),
        other_staff=UserFactory(username="cj_staff", role=Role.BUREAU_STAFF, program=changjiang),
        bank_a=bank_a,
        bank_b=bank_b,
        bank_user=UserFactory(username="qz_bank", role=Role.BANK, bank=bank_a),
    )


@pytest.fixture
def enterprise(db):
    return EnterpriseFactory(name="衢州测试科技有限公司")


PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def shanghai(day: dt.date, hour: int = 10) -> dt.datetime:
    """`hour` o'clock of `day` in the bureau's zone (tests/clock.py)."""
    return bureau(day.year, day.month, day.day, hour)


def pdf(name: str = "文件.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


@pytest.fixture(autouse=True)
def clock(time_machine):  # type: ignore[no-untyped-def]
    """The bureau's clock: Monday 2026-03-02, 10:00 in Shanghai; tests move it with `clock.move_to`."""
    time_machine.move_to(shanghai(dt.date(2026, 3, 2)), tick=False)
    return time_machine


# The days a run takes its stages on in these tests (2026; the publicity spans the Qingming holiday):
DAYS = {
    "audit": dt.date(2026, 3, 16),  # the PBoC branch confirmed on 03-13
    "review": dt.date(2026, 3, 18),
    "approve": dt.date(2026, 3, 25),  # the party-group meeting of 03-24
    "publicize": dt.date(2026, 3, 26),  # publicity from 04-01, five working days
    "issue": dt.date(2026, 4, 9),  # the day after the publicity ends
    "pay": dt.date(2026, 4, 15),
}
PBOC_CONFIRMED = dt.date(2026, 3, 13)
MEETING = dt.date(2026, 3, 24)
PUBLICITY_START = dt.date(2026, 4, 1)
# 04-01 (Wed), 02, 03, then the weekend and Monday 04-06 (清明节), 07, 08: the fifth working day.
PUBLICITY_END = dt.date(2026, 4, 8)


def take(qz: Qz, clock, run, step: str):  # type: ignore[no-untyped-def]
    """Take one stage of 四(一) through the service, by its role, on its day in DAYS."""
    from subsidy import services
    from subsidy.models import SubsidyRun

    clock.move_to(shanghai(DAYS[step]), tick=False)
    run = SubsidyRun.objects.get(pk=run.pk)
    if step == "audit":
        return services.run_audit(
            actor=qz.accountant,
            run=run,
            opinion_file=pdf("审计报告.pdf"),
            opinion="经审核，贴息计算符合方案四(一)",
            pboc_confirmer="货币信贷管理科 王某",
            pboc_confirmed_on=PBOC_CONFIRMED,
            pboc_file=pdf("人行确认函.pdf"),
            pboc_opinion="同意",
        )
    if step == "review":
        return services.run_review(actor=qz.staff, run=run, opinion="材料齐全，计算规范")
    if step == "approve":
        return services.run_approve(
            actor=qz.head,
            run=run,
            meeting_date=MEETING,
            minutes=pdf("党组会纪要.pdf"),
            note="审定通过",
        )
    if step == "publicize":
        return services.run_publicize(actor=qz.staff, run=run, start=PUBLICITY_START)
    if step == "issue":
        return services.run_issue(
            actor=qz.staff,
            run=run,
            document_no="衢市科〔2026〕12号",
            document_date=DAYS["issue"],
            document_file=pdf("贴息资金文件.pdf"),
        )
    raise ValueError(step)


def advance(qz: Qz, clock, run, through: str):  # type: ignore[no-untyped-def]
    """Take the stages in order up to and including `through` (one of DAYS' keys before "pay")."""
    for step in ("audit", "review", "approve", "publicize", "issue"):
        run = take(qz, clock, run, step)
        if step == through:
            return run
    raise ValueError(through)
