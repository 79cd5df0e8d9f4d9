"""Enterprise accounts: registration (also of enterprises a bank or the bureau put on record), links, invitations."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client

from applications.models import Enterprise
from kedaitong.models import AuditEntry, User
from tests.factories import EnterpriseFactory, LoanFactory, credit_code

pytestmark = pytest.mark.django_db


def registration(code: str, username: str = "new-user") -> dict[str, str]:
    return {
        "credit_code": code,
        "name": "丙新材料有限公司",
        "display_name": "赵六",
        "email": f"{username}@example.invalid",
        "username": username,
        "password1": "Kedaitong-test-2026",
        "password2": "Kedaitong-test-2026",
    }


# --- Registration of an enterprise already on record ----------------------------------------------------------


def test_a_registration_claims_an_enterprise_a_bank_put_on_record_without_users(cast):
    on_record = EnterpriseFactory(credit_code=credit_code(901), name="丙新材料有限公司（银行登记）")
    loan = LoanFactory(enterprise=on_record, bank=cast.bank_x)
    response = Client().post("/enterprise/register/", registration(on_record.credit_code))
    assert response.status_code == 302 and response["Location"] == "/enterprise/account/"
    user = User.objects.get(username="new-user")
    assert user.enterprise_id == on_record.pk and user.role == "enterprise"
    assert Enterprise.objects.filter(credit_code=on_record.credit_code).count() == 1
    on_record.refresh_from_db()
    assert (
        on_record.name == "丙新材料有限公司（银行登记）"
    )  # the record is kept; the profile corrects it
    loan.refresh_from_db()
    assert loan.enterprise_id == on_record.pk
    entry = AuditEntry.objects.get(action="applications.enterprise.claimed")
    assert entry.object_id == str(on_record.pk) and entry.actor_id == user.pk
    assert entry.data == {
        "credit_code": on_record.credit_code,
        "name_on_record": "丙新材料有限公司（银行登记）",
        "name_typed": "丙新材料有限公司",
    }
    assert not AuditEntry.objects.filter(action="applications.enterprise.registered").exists()


def test_a_brand_new_code_is_registered_not_claimed(db):
    code = credit_code(902)
    assert Client().post("/enterprise/register/", registration(code)).status_code == 302
    assert Enterprise.objects.get(credit_code=code).name == "丙新材料有限公司"
    assert AuditEntry.objects.filter(action="applications.enterprise.registered").count() == 1
    assert not AuditEntry.objects.filter(action="applications.enterprise.claimed").exists()


def test_a_code_whose_enterprise_has_users_is_refused_and_points_to_the_account(cast):
    response = Client().post("/enterprise/register/", registration(cast.enterprise_a.credit_code))
    assert response.status_code == 200
    page = response.content.decode()
    assert "甲科技有限公司" in page and "/accounts/password_reset/" in page
    assert not User.objects.filter(username="new-user").exists()
    assert not AuditEntry.objects.filter(
        action__in=["applications.enterprise.claimed", "applications.enterprise.registered"]
    ).exists()


def test_only_the_first_registration_claims_a_record(db):
    on_record = EnterpriseFactory(credit_code=credit_code(903))
    assert (
        Client()
        .post("/enterprise/register/", registration(on_record.credit_code, "first"))
        .status_code
        == 302
    )
    second = Client().post("/enterprise/register/", registration(on_record.credit_code, "second"))
    assert second.status_code == 200
    assert list(User.objects.filter(enterprise=on_record).values_list("username", flat=True)) == [
        "first"
    ]


# --- Links to registration ------------------------------------------------------------------------------------


def test_the_login_page_and_the_anonymous_home_link_to_registration(db):
    for url in ("/accounts/login/", "/"):
        page = Client().get(url).content.decode()
        assert 'href="/enterprise/register/"' in page, url
        assert "注册企业账户" in page, url


# --- Invitations ----------------------------------------------------------------------------------------------


def invitation_link(message) -> str:
    return re.search(r"http://testserver(/accounts/reset/\S+/)", message.body).group(1)


def sets_password(link: str, password: str = "Qian-new-pass-2026") -> bool:
    browser = Client()
    page = browser.get(link, follow=True)
    if "new_password1" not in page.content.decode():
        return False
    done = browser.post(
        page.redirect_chain[-1][0], {"new_password1": password, "new_password2": password}
    )
    return done.status_code == 302


def test_an_invitation_is_resent_with_a_new_link_and_the_old_one_dies(
    cast, django_capture_on_commit_callbacks
):
    client = Client()
    client.force_login(cast.applicant)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/enterprise/colleagues/", {"display_name": "钱七", "email": "qian@example.invalid"}
        )
    page = client.get("/enterprise/colleagues/").content.decode()
    assert "重新发送邀请" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/enterprise/colleagues/", {"display_name": "钱七", "email": "Qian@example.invalid"}
        )
    assert response.status_code == 302
    assert len(mail.outbox) == 2
    assert mail.outbox[1].to == ["qian@example.invalid"]
    assert "替代此前的邀请" in mail.outbox[1].body
    old, new = invitation_link(mail.outbox[0]), invitation_link(mail.outbox[1])
    assert old != new
    assert User.objects.filter(email="qian@example.invalid").count() == 1
    assert (
        AuditEntry.objects.filter(
            action="applications.enterprise.invitation_resent", data__email="qian@example.invalid"
        ).count()
        == 1
    )
    assert not sets_password(old)
    assert sets_password(new)
    assert User.objects.get(username="qian@example.invalid").check_password("Qian-new-pass-2026")


def test_a_colleague_who_set_a_password_is_not_invited_again(
    cast, django_capture_on_commit_callbacks
):
    client = Client()
    client.force_login(cast.applicant)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/enterprise/colleagues/", {"display_name": "钱七", "email": "qian@example.invalid"}
        )
    assert sets_password(invitation_link(mail.outbox[0]))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/enterprise/colleagues/", {"display_name": "钱七", "email": "qian@example.invalid"}
        )
    assert response.status_code == 200
    assert "该电子邮箱的用户已存在。" in response.content.decode()
    assert len(mail.outbox) == 1


def test_a_pending_invitation_of_another_enterprise_cannot_be_resent(
    cast, django_capture_on_commit_callbacks
):
    client = Client()
    client.force_login(cast.applicant)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/enterprise/colleagues/", {"display_name": "钱七", "email": "qian@example.invalid"}
        )
    other = Client()
    other.force_login(cast.other_applicant)
    with django_capture_on_commit_callbacks(execute=True):
        response = other.post(
            "/enterprise/colleagues/", {"display_name": "钱七", "email": "qian@example.invalid"}
        )
    assert response.status_code == 200
    assert "该电子邮箱的用户已存在。" in response.content.decode()
    assert len(mail.outbox) == 1
    invited = User.objects.get(username="qian@example.invalid")
    assert invited.enterprise_id == cast.enterprise_a.pk
    assert not AuditEntry.objects.filter(
        action="applications.enterprise.invitation_resent"
    ).exists()


@pytest.mark.postgres
@pytest.mark.skipif(
    not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
    reason="needs PostgreSQL row locks",
)
# No serialized_rollback: tests/conftest.py puts the reference data back after a transactional test, and a
# serialized snapshot restored after another transactional test's flush collides with the content types
# that flush re-created (UniqueViolation on django_content_type, seen in CI on PostgreSQL).
@pytest.mark.django_db(transaction=True)
def test_two_registrations_claiming_one_record_at_once_give_one_account():
    import threading

    from django.db import connections

    from applications import services

    on_record = EnterpriseFactory(credit_code=credit_code(904))
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def register(username: str) -> None:
        try:
            barrier.wait()
            services.enterprise_register(
                credit_code=on_record.credit_code,
                name="丙",
                username=username,
                display_name=username,
                email=f"{username}@example.invalid",
                password="Kedaitong-test-2026",
            )
            outcomes.append("registered")
        except services.DomainError:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=register, args=(name,)) for name in ("first", "second")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["refused", "registered"]
    assert User.objects.filter(enterprise=on_record).count() == 1
    assert AuditEntry.objects.filter(action="applications.enterprise.claimed").count() == 1
