"""Breadcrumbs (issue 18, item 6): every page below home shows a trail that ends at its own title, and every
link in it opens for the user who sees it (kedaitong/breadcrumbs.py, rendered by templates/base.html)."""

from __future__ import annotations

import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.access import kept_cast_fixtures
from tests.access_matrix_table import table
from tests.test_access_matrix import client_for, row_program

TRAIL = re.compile(r'<nav aria-label="[^"]*" class="breadcrumb"><ol>(.*?)</ol></nav>', re.S)
LINK = re.compile(r'<li><a href="([^"]+)">(.*?)</a></li>')
CURRENT = re.compile(r'<li aria-current="page">(.*?)</li>', re.S)
TITLE = re.compile(r"<title>(.*) · [^·<]*</title>", re.S)
# Not pages of the portal's layout: a health probe, the API's schema and its documentation viewer.
NOT_PAGES = {"healthz", "api-v1:openapi-json", "api-v1:openapi-view"}
# One role of each side sees each page (a trail may differ by side, not within one).
SIDES = (
    ("anonymous",),
    ("enterprise_a", "enterprise_b"),
    ("bureau_staff", "bureau_head", "leading_group", "auditor", "accountant"),
    ("bank_x", "bank_y"),
    ("admin",),
)
PAGES = [
    row
    for row in table()
    if row.method == "GET" and row.name not in NOT_PAGES and 200 in row.expected.values()
]


kept, cast = kept_cast_fixtures()

# Trail links already opened in this process, by role and program, of pages that name no object (home, the
# lists): the same for every row, so each is opened once per role and program. A link that names an object
# (a number in it) is opened for every row: ids come back after a row's savepoint is rolled back, so the
# same address may be another object. Of the 408 links the module meets, 105 are distinct; opening each
# once took the module from 26.6 s to 14.5 s (one process).
OPENED: set[tuple[str, str, str]] = set()


def text(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", fragment)).strip()


@pytest.mark.django_db
@pytest.mark.parametrize("row", PAGES, ids=[f"{row.name} {row.program}" for row in PAGES])
def test_every_page_below_home_shows_a_trail_ending_at_its_title(row, cast):
    program = row_program(row, cast)
    url = row.url(cast)
    users = cast.users()
    for side in SIDES:
        role = next((r for r in side if row.expected[r] == 200), None)
        if role is None:
            continue
        client = client_for(role, users, program)
        response = client.get(url)
        assert response.status_code == 200, (role, url)
        if not response["Content-Type"].startswith("text/html"):
            continue  # a download
        page = response.content.decode()
        found = TRAIL.search(page)
        if row.name == "home":
            assert found is None
            continue
        assert found, f"{row.name}: no breadcrumb trail for {role}"
        links = LINK.findall(found.group(1))
        own = text(CURRENT.search(found.group(1)).group(1))
        assert own == text(TITLE.search(page).group(1)), (row.name, role)
        assert links and links[0][0] == "/", (row.name, role, links)  # it starts at home
        assert text(links[0][1]) == "首页"
        for href, title in links:
            assert text(title), (row.name, href)
            key = (role, program.code, href)
            if key in OPENED:
                continue
            assert client.get(html.unescape(href)).status_code == 200, (row.name, role, href)
            if not any(c.isdigit() for c in href):
                OPENED.add(key)


@pytest.mark.django_db
def test_a_trail_follows_the_users_program_and_costs_no_query(cast):
    """A Changjiang feature's page is a parent in Changjiang only; titles come from what the view loaded."""
    from kedaitong.breadcrumbs import trail
    from kedaitong.roles import Role

    loan = {"public_id": cast.loan_a.public_id}
    with CaptureQueriesContext(connection) as queries:
        changjiang = trail(
            "review:blacklist-propose", loan, {}, role=Role.BUREAU_STAFF, program=cast.changjiang
        )
        quzhou = trail(
            "review:blacklist-propose", loan, {}, role=Role.BUREAU_STAFF, program=cast.quzhou
        )
        bank = trail(
            "loans:interest-create",
            loan,
            {"loan": cast.loan_a},
            role=Role.BANK,
            program=cast.changjiang,
        )
        # A bank may not open the blacklist: its trail goes straight home.
        bank_propose = trail(
            "review:blacklist-propose", loan, {}, role=Role.BANK, program=cast.changjiang
        )
    assert len(queries) == 0
    assert [(c.title, c.url) for c in changjiang] == [
        ("首页", "/"),
        ("黑名单", "/review/blacklist/"),
    ]
    assert [(c.title, c.url) for c in quzhou] == [("首页", "/")]
    assert [(c.title, c.url) for c in bank] == [
        ("首页", "/"),
        ("贷款", "/loans/"),
        (cast.loan_a.contract_no, f"/loans/{cast.loan_a.public_id}/"),
    ]
    assert [c.title for c in bank_propose] == ["首页"]


@pytest.mark.django_db
def test_the_trail_sits_above_the_page_title_and_the_error_pages_have_none(client, cast):
    client.force_login(cast.bureau_staff)
    page = client.get(f"/review/applications/{cast.application_a.public_id}/").content.decode()
    trail_at, heading_at = page.index('class="breadcrumb"'), page.index("<h1")
    assert trail_at < heading_at
    crumbs = TRAIL.search(page).group(1)
    assert LINK.findall(crumbs) == [("/", "首页"), ("/review/queue/", "待审队列")]
    assert text(CURRENT.search(crumbs).group(1)) == cast.application_a.reference
    missing = client.get(f"/review/applications/{cast.enterprise_a.public_id}/")
    assert missing.status_code == 404
    assert 'class="breadcrumb"' not in missing.content.decode()
