"""Opening a loan: the LPR at pricing, an audit row, and every registration rule (Quzhou 一(一)–(六), Changjiang)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from applications.models import Application, Program, ProgramListing
from kedaitong.models import AuditEntry
from loans.models import BankAgreement
from loans.services import LoanRefused, loan_register
from review.models import BlacklistEntry
from tests.factories import (
    ApplicationFactory,
    BankFactory,
    EnterpriseFactory,
    LoanFactory,
    UserFactory,
    granted_after_publicity,
    version,
)

pytestmark = pytest.mark.django_db


def quzhou_ready(enterprise=None, bank=None):
    """A listed enterprise and a bank with a Quzhou agreement in force."""
    enterprise = enterprise or EnterpriseFactory()
    bank = bank or BankFactory()
    program = version("quzhou").program
    ProgramListing.objects.get_or_create(
        program=program,
        credit_code=enterprise.credit_code,
        defaults={"name": enterprise.name, "listed_on": dt.date(2024, 1, 1)},
    )
    BankAgreement.objects.get_or_create(
        bank=bank,
        program=program,
        defaults={"starts_on": dt.date(2024, 1, 1), "ends_on": dt.date(2026, 12, 31)},
    )
    return enterprise, bank


def register(**overrides):
    enterprise, bank = quzhou_ready(overrides.pop("enterprise", None), overrides.pop("bank", None))
    values = {
        "actor": None,
        "program_version": version("quzhou"),
        "enterprise": enterprise,
        "bank": bank,
        "contract_no": "HT-1",
        "disbursement_date": dt.date(2024, 10, 21),
        "maturity_date": dt.date(2025, 10, 20),
        "principal": Decimal("1000000.00"),
        "annual_rate": Decimal("3.1000"),
    }
    values.update(overrides)
    return loan_register(**values)


def refusal(**overrides) -> list[str]:
    with pytest.raises(LoanRefused) as excinfo:
        register(**overrides)
    return excinfo.value.problems


def test_it_prices_against_the_lpr_of_the_disbursement_date():
    loan = register()
    assert loan.lpr_at_pricing == Decimal("3.1000")
    assert AuditEntry.objects.get(action="loans.loan.registered").object_id == str(loan.pk)


def test_it_lists_every_problem_at_once():
    bank = BankFactory()
    register(bank=bank)
    problems = refusal(bank=bank, maturity_date=dt.date(2024, 1, 1), principal=Decimal("0"))
    assert len(problems) == 3


def test_a_bank_or_enterprise_found_to_have_defrauded_cannot_register_loans():
    """Quzhou 六: 一经发现，不得再参与."""
    from subsidy.models import FraudRecord

    enterprise = EnterpriseFactory(name="骗贷企业")
    FraudRecord.objects.create(
        program=version("quzhou").program,
        enterprise=enterprise,
        found_on=dt.date(2025, 6, 1),
        description="虚构研发用途",
        evidence="fraud/evidence.pdf",
        recorded_by=UserFactory(username="recorder"),
    )
    assert "骗贷企业已被认定骗取" in refusal(enterprise=enterprise)[0]
    assert register(contract_no="HT-2").pk  # another enterprise is not barred


def test_an_enterprise_off_the_list_is_refused():
    """Quzhou 一(一): 企业名单由市科技局向贷款银行提供."""
    enterprise = EnterpriseFactory()
    quzhou_ready(enterprise)
    ProgramListing.objects.filter(credit_code=enterprise.credit_code).update(
        delisted_on=dt.date(2024, 6, 1)
    )
    assert any("企业名单" in p for p in refusal(enterprise=enterprise))
    assert register(enterprise=EnterpriseFactory()).pk


def test_a_term_over_three_years_is_refused():
    """Quzhou 一(二): 单笔贷款期限不超过三年."""
    assert register(maturity_date=dt.date(2027, 10, 21)).pk  # exactly 36 months
    problems = refusal(contract_no="HT-2", maturity_date=dt.date(2027, 10, 22))
    assert any("37个月" in p and "一(二)" in p for p in problems)


def test_a_rate_above_the_lpr_of_the_disbursement_date_is_refused():
    """Quzhou 一(六): 不高于同期同档次LPR (on 2024-10-21 the 1-year LPR became 3.10%)."""
    assert register(
        disbursement_date=dt.date(2024, 10, 20), annual_rate=Decimal("3.3500")
    ).lpr_at_pricing == Decimal("3.35")
    problems = refusal(contract_no="HT-2", annual_rate=Decimal("3.1100"))
    assert any("3.11%" in p and "3.1%" in p and "一(六)" in p for p in problems)


def test_a_bank_without_an_agreement_in_force_is_refused():
    """Quzhou 一(三): banks on file (备案制), with a three-year agreement."""
    enterprise, bank = quzhou_ready()
    BankAgreement.objects.filter(bank=bank).update(ends_on=dt.date(2024, 10, 20))
    assert any("合作协议" in p for p in refusal(enterprise=enterprise, bank=bank))


def test_the_enterprise_cap_counts_every_year_the_loan_spans():
    """Quzhou 一(五): 每家企业每年累计按年折算不超过500万元, here broken only in 2025."""
    enterprise = EnterpriseFactory()
    # 2024-07-01 → 2025-07-01: 2024 annualized 2,513,661.20; 2025 2,465,753.42 (of 5,000,000)
    register(
        enterprise=enterprise,
        contract_no="A",
        disbursement_date=dt.date(2024, 7, 22),
        maturity_date=dt.date(2025, 7, 22),
        principal=Decimal("5000000.00"),
        annual_rate=Decimal("3.35"),
    )
    # A second loan from 2024-12-20 to 2025-12-19: 2024 adds little, 2025 adds ~4.86 million → over in 2025 only
    problems = refusal(
        enterprise=enterprise,
        contract_no="B",
        disbursement_date=dt.date(2024, 12, 20),
        maturity_date=dt.date(2025, 12, 19),
        principal=Decimal("5000000.00"),
    )
    assert len(problems) == 1 and "2025年" in problems[0] and "一(五)" in problems[0]
    # A small one fits
    assert register(
        enterprise=enterprise,
        contract_no="C",
        disbursement_date=dt.date(2024, 12, 20),
        maturity_date=dt.date(2025, 12, 19),
        principal=Decimal("100000.00"),
    ).pk


def test_the_all_banks_cap_is_640_million_annualized():
    """Quzhou 一(四): 所有银行每年发放总额按年折算不超过6.4亿元."""
    quzhou = version("quzhou")
    bank = BankFactory()
    LoanFactory(
        program_version=quzhou,
        bank=bank,
        principal=Decimal("639000000.00"),
        disbursement_date=dt.date(2025, 1, 1),
        maturity_date=dt.date(2026, 1, 1),
    )
    problems = refusal(
        disbursement_date=dt.date(2025, 6, 3),
        maturity_date=dt.date(2026, 6, 2),
        annual_rate=Decimal("3.0"),
        principal=Decimal("4000000.00"),
    )
    assert any("所有合作银行2025年" in p for p in problems)
    assert register(
        disbursement_date=dt.date(2025, 6, 3),
        maturity_date=dt.date(2026, 6, 2),
        principal=Decimal("500000.00"),
        annual_rate=Decimal("3.0"),
        contract_no="SMALL",
    ).pk


def changjiang(enterprise, bank, granted):
    application = ApplicationFactory(
        enterprise=enterprise, bank=bank, state=Application.State.CREDIT_GRANTED
    )
    if granted is not None:
        granted_after_publicity(application, granted)
    return loan_register(
        actor=None,
        program_version=version("changjiang"),
        enterprise=enterprise,
        bank=bank,
        contract_no="CJ-1",
        disbursement_date=dt.date(2026, 1, 5),
        maturity_date=dt.date(2027, 1, 4),
        principal=Decimal("2000000.00"),
        annual_rate=Decimal("3.5"),
        application=application,
    )


def test_changjiang_needs_credit_granted_and_the_amount_within_it():
    enterprise, bank = EnterpriseFactory(), BankFactory()
    with pytest.raises(LoanRefused) as excinfo:
        changjiang(enterprise, bank, None)
    assert "尚未" in excinfo.value.problems[0]
    with pytest.raises(LoanRefused) as excinfo:
        changjiang(enterprise, bank, Decimal("1999999.99"))
    assert "超过授信金额" in excinfo.value.problems[0]
    assert changjiang(enterprise, bank, Decimal("2000000.00")).pk


def test_changjiang_loan_must_come_from_the_recommended_bank():
    enterprise = EnterpriseFactory()
    application = ApplicationFactory(
        enterprise=enterprise, bank=BankFactory(), state=Application.State.CREDIT_GRANTED
    )
    granted_after_publicity(application, Decimal("3000000"))
    with pytest.raises(LoanRefused) as excinfo:
        loan_register(
            actor=None,
            program_version=version("changjiang"),
            enterprise=enterprise,
            bank=BankFactory(),
            contract_no="CJ-2",
            disbursement_date=dt.date(2026, 1, 5),
            maturity_date=dt.date(2027, 1, 4),
            principal=Decimal("1000000.00"),
            annual_rate=Decimal("3.5"),
            application=application,
        )
    assert "不一致" in excinfo.value.problems[0]


def test_changjiang_one_bank_per_enterprise():
    """Changjiang 第六条(二): 单个企业仅接受一家银行的贷款 — a loan matured unpaid still holds the enterprise."""
    from loans.models import Repayment

    enterprise = EnterpriseFactory()
    first = LoanFactory(
        enterprise=enterprise,
        bank=BankFactory(name="先贷银行"),
        disbursement_date=dt.date(2025, 1, 6),
        maturity_date=dt.date(2026, 1, 5),
    )
    second_bank = BankFactory()
    with pytest.raises(LoanRefused) as excinfo:
        changjiang(enterprise, second_bank, Decimal("3000000"))
    assert "先贷银行" in excinfo.value.problems[0] and "第六条(二)" in excinfo.value.problems[0]
    assert (
        "未还本金1,000,000.00元" in excinfo.value.problems[0]
    )  # matured 2026-01-05, nothing repaid
    Repayment.objects.create(loan=first, repaid_on=dt.date(2026, 1, 5), principal=first.principal)
    assert changjiang(enterprise, second_bank, Decimal("3000000")).pk


def test_a_blacklisted_enterprise_cannot_borrow():
    """Changjiang 第九条: 今后不得获得财政的支持."""
    from django.utils import timezone

    enterprise = EnterpriseFactory()
    BlacklistEntry.objects.create(
        program=Program.objects.get(code="changjiang"),
        enterprise=enterprise,
        reason="overdue",
        status="listed",
        listed_at=timezone.now(),
    )
    assert any("黑名单" in p for p in refusal(enterprise=enterprise))
