"""Breadcrumbs (issue 18, item 6): every page below home shows a trail that ends at its own title, and every
link in it opens for the user who sees it (kedaitong/breadcrumbs.py, rendered by templates/base.html).

Every page of the access matrix is checked so by its walk in the districts added as data
(tests/test_access_matrix.py: `check_pages`, with tests/pages.py's `trail_links`); here, how a trail is made.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.access import kept_cast_fixtures
from tests.pages import CURRENT, LINK, TRAIL, text

kept, cast = kept_cast_fixtures()


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
