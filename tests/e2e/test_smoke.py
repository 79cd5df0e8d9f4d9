"""Every role reaches its own home page through the login form, sees its own party's records and not another's, and logs out."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
ANONYMOUS_HEADING = "科贷通科技信贷服务平台"


def test_each_role_logs_in_and_lands_on_its_home_page(page, cast):
    a, b = cast.application_a.reference, cast.application_b.reference
    program = cast.changjiang.name
    # username → (its home page's heading, text it must show, text it must not show)
    expectations = {
        "applicant": (cast.enterprise_a.name, a, b),
        "other": (cast.enterprise_b.name, b, a),
        "staff": (program, a, None),
        "head": (program, a, None),
        "group": (program, a, None),
        "bankx": (cast.bank_x.name, cast.bank_x.code, cast.bank_y.name),
        "banky": (cast.bank_y.name, cast.bank_y.code, cast.bank_x.name),
        "auditor": (program, a, None),
        "admin": ("系统管理", a, None),
    }
    page.goto("/")
    assert page.locator("main h1").first.inner_text() == ANONYMOUS_HEADING
    for username, (heading, shown, hidden) in expectations.items():
        login(page, username)
        main = page.locator("main").inner_text()
        assert heading in page.locator("main h1").first.inner_text(), username
        assert shown in main, (username, shown)
        if hidden:  # as a word: application T-000010 must not match loan contract HT-000010
            assert not re.search(rf"(?<!\w){re.escape(hidden)}(?!\w)", main), (username, hidden)
        page.click("text=退出")
        page.wait_for_url("**/accounts/login/")
