"""Login, logout, password change and reset, and throttled failed logins."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from kedaitong.roles import Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery"


@pytest.fixture
def staff(db):
    return UserFactory(username="clerk", role=Role.BUREAU_STAFF, email="clerk@example.invalid")


def test_it_logs_in_and_out(client, staff):
    response = client.post("/accounts/login/", {"username": "clerk", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").context["user"] == staff
    assert client.get("/accounts/logout/").status_code == 405  # logout is POST only
    client.post("/accounts/logout/")
    assert not client.get("/").context["user"].is_authenticated


def test_a_wrong_password_keeps_the_username_and_says_why(client, staff):
    response = client.post("/accounts/login/", {"username": "clerk", "password": "nope"})
    assert response.status_code == 200
    body = response.content.decode()
    assert 'value="clerk"' in body
    assert "请输入一个正确的" in body


def test_repeated_failures_lock_the_account_even_for_the_right_password(client, staff, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": "clerk", "password": "nope"})
    response = client.post("/accounts/login/", {"username": "clerk", "password": PASSWORD})
    assert response.status_code == 429
    assert "登录失败次数过多" in response.content.decode()
    assert not client.get("/").context["user"].is_authenticated


def test_a_user_changes_their_password(client, staff):
    client.force_login(staff)
    response = client.post(
        "/accounts/password_change/",
        {
            "old_password": PASSWORD,
            "new_password1": "another-long-secret-9",
            "new_password2": "another-long-secret-9",
        },
    )
    assert response.status_code == 302
    staff.refresh_from_db()
    assert staff.check_password("another-long-secret-9")


def test_a_forgotten_password_is_reset_by_e_mail(client, staff):
    client.post("/accounts/password_reset/", {"email": "clerk@example.invalid"})
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "科贷通：重置密码"
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    response = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "fresh-password-77", "new_password2": "fresh-password-77"},
    )
    assert response.status_code == 302
    staff.refresh_from_db()
    assert staff.check_password("fresh-password-77")


@pytest.mark.parametrize(
    ("password", "message"),
    [
        (
            "Kd-7",
            "密码太短：至少需要 10 个字符。",
        ),  # ours: Django 5.2.19's wording lacks a zh_Hans entry
        ("1234567890123", "密码只包含数字。"),
        ("password123", "这个密码太常见了。"),
        ("example.invalid", "太相似了。"),  # like the e-mail address clerk@example.invalid
    ],
)
def test_a_weak_new_password_is_refused_in_chinese(client, staff, password, message):
    """Issue 18 item 7: every password validator speaks Chinese, and the password is kept unchanged."""
    client.force_login(staff)
    response = client.post(
        "/accounts/password_change/",
        {"old_password": PASSWORD, "new_password1": password, "new_password2": password},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert message in body
    assert "This password" not in body and "too short" not in body
    staff.refresh_from_db()
    assert staff.check_password(PASSWORD)
