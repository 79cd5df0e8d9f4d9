"""A user whose role spans programs (a bank in both, the administrator) works in one at a time (issue 15).

The switch in the page header keeps the choice in the session; the first program is theirs until they choose.
Lists, menus and pages follow the program they work in; a program that is not theirs cannot be chosen.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from applications.scope import current_program, programs_of
from loans.models import BankAgreement
from tests.factories import LoanFactory, version

pytestmark = pytest.mark.django_db


@pytest.fixture
def both(cast):  # type: ignore[no-untyped-def]
    """Bank X lends in Changjiang (the cast) and is on file in Quzhou, with one loan there."""
    BankAgreement.objects.create(
        bank=cast.bank_x,
        program=cast.quzhou,
        starts_on=dt.date(2024, 1, 1),
        ends_on=dt.date(2027, 12, 31),
    )
    loan = LoanFactory(
        program_version=version("quzhou"),
        bank=cast.bank_x,
        enterprise=cast.enterprise_b,
        contract_no="QZ-SW-1",
    )
    return loan


def client_for(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def test_a_bank_in_two_programs_works_in_one_at_a_time(cast, both):
    assert [p.code for p in programs_of(cast.bank_x_user)] == ["changjiang", "quzhou"]
    assert current_program(cast.bank_x_user) == cast.changjiang  # the first, until it chooses
    client = client_for(cast.bank_x_user)
    home = client.get("/").content.decode()
    assert 'name="program"' in home and "切换项目" in home
    loans = client.get("/loans/").content.decode()
    assert cast.loan_a.contract_no in loans and "QZ-SW-1" not in loans
    assert client.get("/compensation/claims/").status_code == 200
    assert client.get("/subsidy/bank/").status_code == 404
    response = client.post("/program/switch/", {"program": "quzhou"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.session["program"] == "quzhou"
    loans = client.get("/loans/").content.decode()
    assert "QZ-SW-1" in loans and cast.loan_a.contract_no not in loans
    nav = client.get("/").content.decode().split('class="container main-nav"')[1].split("</nav>")[0]
    assert "贷款贴息" in nav and "风险补偿" not in nav
    assert (
        client.get("/compensation/claims/").status_code == 404
    )  # risk compensation is Changjiang's
    assert (
        client.get(f"/loans/{cast.loan_a.public_id}/").status_code == 404
    )  # the other program's loan
    # A link carrying its program opens it there.
    assert client.get(f"/loans/{cast.loan_a.public_id}/?program=changjiang").status_code == 200
    assert client.session["program"] == "changjiang"


def test_a_program_not_the_users_cannot_be_chosen(cast, both):
    bank_y = client_for(cast.bank_y_user)  # bank Y lends in Changjiang only
    assert bank_y.post("/program/switch/", {"program": "quzhou"}).status_code == 404
    assert "program" not in bank_y.session
    assert 'name="program"' not in bank_y.get("/").content.decode()  # one program: no switch
    staff = client_for(cast.bureau_staff)
    assert staff.post("/program/switch/", {"program": "quzhou"}).status_code == 404
    assert bank_y.get("/loans/?program=quzhou").status_code == 200
    assert "program" not in bank_y.session  # a link naming a program not theirs changes nothing


def test_the_administrator_switches_between_every_program(cast, both):
    admin = client_for(cast.admin)
    assert admin.get("/compensation/ledger/").status_code == 200
    assert admin.get("/subsidy/runs/").status_code == 404
    admin.post("/program/switch/", {"program": "quzhou"})
    assert admin.get("/compensation/ledger/").status_code == 404
    assert admin.get("/subsidy/runs/").status_code == 200
    assert admin.get("/review/blacklist/").status_code == 404  # the blacklist is Changjiang's
