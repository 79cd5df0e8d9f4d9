"""The browser reaches every role's home page through the login form."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_each_role_logs_in_and_lands_on_its_home_page(page, cast):
    expectations = {
        "applicant": cast.enterprise_a.name,
        "bankx": cast.bank_x.name,
        "staff": "昌江区“科贷通”",
        "admin": "系统管理",
    }
    for username, text in expectations.items():
        login(page, username)
        assert page.locator("main").inner_text().count(text) >= 1, username
        page.click("text=退出")
        page.wait_for_url("**/accounts/login/")
