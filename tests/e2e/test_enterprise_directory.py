"""Issue 18 (item 6) in a browser: the bureau finds an enterprise from the menu, opens its page, and walks back
up the breadcrumb trail; at 390 px neither page is wider than the screen's content box."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_staff_find_an_enterprise_and_come_back_by_the_breadcrumbs(new_page, cast):
    page = new_page("staff")
    page.goto("/")
    page.click("nav.main-nav >> text=企业")
    page.wait_for_url("**/reports/enterprises/")
    assert page.locator("nav.breadcrumb li").all_inner_texts() == ["首页", "企业名录"]
    page.fill("input[name=q]", cast.enterprise_a.credit_code[:17].lower())
    page.click("button:has-text('搜索')")
    rows = page.locator("table.directory tbody tr")
    assert rows.count() == 1
    assert "有 1 家企业符合" in page.locator("main").inner_text()
    rows.first.locator("a").click()
    page.wait_for_url(f"**/reports/enterprises/{cast.enterprise_a.public_id}/")
    main = page.locator("main").inner_text()
    assert cast.application_a.reference in main and cast.loan_a.contract_no in main
    assert "未列入黑名单。" in main
    # Whole cells, not substrings: the factories' application reference T-000014 is inside the contract
    # number HT-000014 when their sequences meet.
    cells = set(page.locator("main td").all_inner_texts())
    assert cast.application_a.reference in cells and cast.application_b.reference not in cells
    crumbs = page.locator("nav.breadcrumb li")
    assert crumbs.all_inner_texts() == ["首页", "企业", cast.enterprise_a.name]
    page.set_viewport_size({"width": 390, "height": 844})
    for selector in ("main", "nav.breadcrumb"):
        box = page.locator(selector).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, (selector, box)
    page.locator("nav.breadcrumb a", has_text="企业").click()
    page.wait_for_url("**/reports/enterprises/")
    assert page.locator("table.directory tbody tr").count() == 2
