"""Quzhou 二: a bank reports one disbursement through the web form; the registration rules of Quzhou 一 apply."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client

from applications.models import Enterprise, ProgramListing
from kedaitong.models import AuditEntry
from loans.models import BankAgreement, Loan
from tests.factories import credit_code

pytestmark = pytest.mark.django_db
CODE = credit_code(7001, region="330800")


def client_for(user, program: str = "quzhou") -> Client:
    """Logged in, working in `program` (bank X lends in Changjiang and Quzhou: it switches)."""
    client = Client()
    client.force_login(user)
    client.post("/program/switch/", {"program": program})
    return client


@pytest.fixture
def quzhou(cast):
    BankAgreement.objects.create(
        bank=cast.bank_x,
        program=cast.quzhou,
        starts_on=dt.date(2024, 1, 1),
        ends_on=dt.date(2026, 12, 31),
    )
    ProgramListing.objects.create(
        program=cast.quzhou,
        credit_code=CODE,
        name="衢州表单科技有限公司",
        listed_on=dt.date(2024, 1, 1),
    )
    return cast.quzhou


def form(program, **kw):
    data = {
        "program": program.pk,
        "credit_code": CODE,
        "contract_no": "QZ-WEB-1",
        "contract_date": "2025-06-03",
        "disbursement_date": "2025-06-03",
        "maturity_date": "2026-06-02",
        "principal": "1,000,000.00",
        "annual_rate": "3.0",
        "purpose": "研发投入",
    }
    return data | kw


def test_a_listed_enterprise_gets_its_loan_priced_against_the_lpr(cast, quzhou):
    client = client_for(cast.bank_x_user)
    assert client.get("/loans/new/").status_code == 200
    response = client.post("/loans/new/", form(quzhou))
    assert response.status_code == 302, response.content.decode()
    loan = Loan.objects.get(contract_no="QZ-WEB-1")
    assert (
        loan.bank == cast.bank_x
        and loan.program_version.code == "2023"
        and loan.principal == Decimal("1000000.00")
    )
    assert (
        loan.lpr_at_pricing == Decimal("3.0000") and loan.enterprise.name == "衢州表单科技有限公司"
    )
    assert response["Location"] == f"/loans/{loan.public_id}/"
    assert AuditEntry.objects.filter(
        action="loans.loan.registered", object_id=str(loan.pk)
    ).exists()


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"annual_rate": "3.5"}, "LPR"),
        ({"maturity_date": "2028-06-04"}, "36个月"),
        ({"principal": "12.345"}, "两位小数"),
        ({"credit_code": credit_code(7002, region="330800")}, "名单"),
        (
            # The bureau's tomorrow at the suite's fixed instant (tests/clock.py: 2026-12-04).
            {"disbursement_date": "2026-12-05", "maturity_date": "2029-12-01"},
            "将来",
        ),
    ],
    ids=["above-lpr", "over-three-years", "three-decimals", "not-listed", "future"],
)
def test_a_broken_rule_is_shown_and_nothing_saved(cast, quzhou, change, reason):
    response = client_for(cast.bank_x_user).post("/loans/new/", form(quzhou, **change))
    assert response.status_code == 400 and reason in response.content.decode()
    assert not Loan.objects.filter(contract_no="QZ-WEB-1").exists()
    assert not Enterprise.objects.filter(
        credit_code=CODE
    ).exists()  # not created from the list for a refused loan
    assert "研发投入" in response.content.decode()  # what was typed is kept


def test_changjiang_loans_come_through_their_applications(cast, quzhou):
    """The one-loan form is Quzhou's (二): working in Changjiang the bank has none, and no Changjiang loan is made on it."""
    in_changjiang = client_for(cast.bank_x_user, "changjiang")
    assert in_changjiang.get("/loans/new/").status_code == 404
    assert (
        "/loans/new/" not in in_changjiang.get("/").content.decode()
    )  # no 登记放款 button on its home
    assert in_changjiang.post("/loans/new/", form(quzhou)).status_code == 404
    response = client_for(cast.bank_x_user).post("/loans/new/", form(cast.changjiang))
    assert response.status_code == 400 and not Loan.objects.filter(contract_no="QZ-WEB-1").exists()


def test_only_banks_register_disbursements(cast, quzhou):
    for user in (cast.auditor, cast.bureau_staff, cast.applicant, cast.admin):
        assert client_for(user).post("/loans/new/", form(quzhou)).status_code == 403
    assert not Loan.objects.filter(contract_no="QZ-WEB-1").exists()


def test_every_broken_rule_is_listed_at_once(cast, quzhou):
    response = client_for(cast.bank_x_user).post(
        "/loans/new/",
        form(quzhou, principal="6,000,000", annual_rate="3.5", maturity_date="2028-09-01"),
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert all(reason in page for reason in ("单笔上限", "一(二)", "一(六)", "一(五)"))
