"""Issue 18 item 7 in the browser: each role's home page, the admin site and a refused password, in Chinese.

The page text is read as rendered by Chromium (page.content()), with the same reader and allow-list as
tests/pages.py, with which the access matrix's walk checks every page with the test client.
"""

from __future__ import annotations

import pytest

from tests.e2e.conftest import PASSWORD, login
from tests.pages import english_words

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_each_role_reads_chinese_and_the_admin_too(page, cast):
    from tests.pages import chinese_names

    chinese_names(cast)
    page.goto("/")
    assert english_words(page.content()) == []
    for username in ("applicant", "staff", "head", "group", "bankx", "auditor", "accountant"):
        login(page, username)
        assert english_words(page.content()) == [], username
        page.click("text=退出")
        page.wait_for_url("**/accounts/login/")

    login(page, "admin")
    assert english_words(page.content()) == []
    page.goto("/admin/")
    body = page.locator("body").inner_text()
    for shown in (
        "科贷通管理后台",
        "登录失败与锁定",
        "登录尝试",
        "后台任务",
        "贴息明细",
        "贴息拨付（银行）",
    ):
        assert shown in body, shown
    assert english_words(page.content()) == []

    # A password too short is refused in Chinese (Django 5.2.19's own message is English).
    page.goto("/accounts/password_change/")
    page.fill("input[name=old_password]", PASSWORD)
    page.fill("input[name=new_password1]", "Kd-7")
    page.fill("input[name=new_password2]", "Kd-7")
    page.locator("main form button[type=submit]").click()
    assert "密码太短：至少需要 10 个字符。" in page.locator("main").inner_text()
