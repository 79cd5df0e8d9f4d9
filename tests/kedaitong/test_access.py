"""Scope: an outsider gets 404, never another party's record; no role means no access."""

from __future__ import annotations

import pytest
from django.db import IntegrityError

from applications.models import Application, Enterprise
from kedaitong.models import User
from kedaitong.roles import Role
from loans.models import Bank, Loan
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def enterprise_url(enterprise: Enterprise) -> str:
    return f"/enterprises/{enterprise.public_id}/"


def bank_url(bank: Bank) -> str:
    return f"/banks/{bank.code}/"


def test_an_enterprise_user_asking_for_another_enterprise_gets_404(client, cast):
    client.force_login(cast.applicant)
    assert client.get(enterprise_url(cast.enterprise_a)).status_code == 200
    assert client.get(enterprise_url(cast.enterprise_b)).status_code == 404


def test_an_enterprise_user_cannot_open_another_enterprises_application(client, cast):
    client.force_login(cast.applicant)
    assert client.get(f"/applications/{cast.application_a.public_id}/").status_code == 200
    assert client.get(f"/applications/{cast.application_b.public_id}/").status_code == 404


def test_a_bank_user_asking_for_another_banks_page_gets_404(client, cast):
    client.force_login(cast.bank_x_user)
    response = client.get(bank_url(cast.bank_x))
    assert response.status_code == 200
    assert cast.loan_a.contract_no in response.content.decode()
    assert cast.loan_b.contract_no not in response.content.decode()
    assert client.get(bank_url(cast.bank_y)).status_code == 404


def test_a_bank_sees_only_enterprises_it_lends_to(client, cast):
    client.force_login(cast.bank_x_user)
    assert client.get(enterprise_url(cast.enterprise_a)).status_code == 200
    assert client.get(enterprise_url(cast.enterprise_b)).status_code == 404


def test_an_enterprise_cannot_open_a_bank_page(client, cast):
    client.force_login(cast.applicant)
    assert client.get(bank_url(cast.bank_x)).status_code == 404


def test_bureau_sees_its_own_program_only(client, cast):
    quzhou_staff = UserFactory(username="qz", role=Role.BUREAU_STAFF, program=cast.quzhou)
    client.force_login(cast.bureau_staff)
    assert client.get(enterprise_url(cast.enterprise_a)).status_code == 200
    assert client.get(bank_url(cast.bank_x)).status_code == 200
    client.force_login(quzhou_staff)
    assert client.get(enterprise_url(cast.enterprise_a)).status_code == 404
    assert client.get(bank_url(cast.bank_x)).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(client, cast):
    response = client.get(enterprise_url(cast.enterprise_a))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("role", ["", "superadmin", "bureau"])
def test_an_unknown_or_empty_role_sees_nothing(client, cast, role):
    user = User.objects.create_user(username=f"odd-{role or 'none'}", password="x")
    User.objects.filter(pk=user.pk).update(role=role)
    user.refresh_from_db()
    assert user.effective_role == ""
    for model in (Enterprise, Application, Loan, Bank):
        assert not model.objects.visible_to(user).exists()
    client.force_login(user)
    assert client.get("/").status_code == 403
    assert client.get(enterprise_url(cast.enterprise_a)).status_code == 404
    assert client.get(bank_url(cast.bank_x)).status_code == 404


def test_a_program_role_without_a_program_sees_nothing(cast):
    user = UserFactory(username="lost", role=Role.BUREAU_STAFF, program=None)
    assert not Application.objects.visible_to(user).exists()
    assert not Loan.objects.visible_to(user).exists()


def test_every_role_reaches_its_home_page(client, cast):
    for name, user in cast.users().items():
        client.force_login(user)
        response = client.get("/")
        assert response.status_code == 200, name


def test_scope_fields_belong_to_their_role_in_the_database(cast):
    with pytest.raises(IntegrityError):
        User.objects.create(username="bad-bank", role=Role.BANK, bank=None)


def test_scope_fields_cannot_cross_roles(cast):
    with pytest.raises(IntegrityError):
        User.objects.create(username="bad-mix", role=Role.BUREAU_STAFF, bank=cast.bank_x)
