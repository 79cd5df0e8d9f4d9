"""Every list page with filters reads its query string through a form (issue 16 item 12).

A NUL byte (`?q=%00`) reached PostgreSQL from the loan list and answered 500
("A string literal cannot contain NUL characters"); amounts too large for a
money column (`?budget=1e30`, `?amount_min=100000000000000000`) raised a decimal
signal. Each filter of each page now answers 400 with the reason, lists
nothing, and never 500 — on SQLite and on PostgreSQL alike.
"""

from __future__ import annotations

import pytest
from django.test import Client

from kedaitong.roles import Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NUL = "\x00"

# (url, role key, the filter parameters the page reads)
PAGES = [
    ("/loans/", "bureau_staff", ["q", "bucket", "documents"]),
    ("/review/queue/", "bureau_staff", ["q", "state", "bank", "submitted_from", "amount_min"]),
    ("/compensation/claims/", "bureau_staff", ["q", "bank", "state"]),
    ("/compensation/ledger/", "bureau_staff", ["q", "bank", "state", "year"]),
    ("/compensation/recoveries/", "bureau_staff", ["q", "bank", "state", "year"]),
    ("/reports/ledgers/loans/", "bureau_staff", ["q", "bank", "program", "date_from"]),
    ("/reports/ledgers/delinquency/", "bureau_staff", ["q", "bank", "program", "date_to"]),
    ("/reports/ledgers/interest/", "bureau_staff", ["q", "bank"]),
    ("/reports/ledgers/applications/", "bureau_staff", ["q", "bank"]),
    ("/reports/statistics/", "bureau_staff", ["date_from", "date_to"]),
    ("/reports/statistics/annual/", "bureau_staff", ["year"]),
    ("/subsidy/runs/", "quzhou_staff", ["year", "budget", "cutoff"]),
]


def _client(cast, key):  # type: ignore[no-untyped-def]
    if key == "quzhou_staff":
        user = UserFactory(username="qz", role=Role.BUREAU_STAFF, program=cast.quzhou)
    else:
        user = cast.users()[key]
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    ("url", "key", "param"), [(u, k, p) for u, k, params in PAGES for p in params]
)
def test_a_nul_byte_in_any_filter_is_refused_with_a_reason(cast, url, key, param):
    response = _client(cast, key).get(url, {param: NUL, **_others(url, param)})
    # The subsidy page is a form that computes a preview: its refusal is the form's error (200).
    assert response.status_code == (200 if url == "/subsidy/runs/" else 400), (url, param)
    page = response.content.decode()
    assert "errorlist" in page, (url, param)


def _others(url: str, param: str) -> dict[str, str]:
    """The other fields a page's form requires, filled validly, so the NUL byte is the only fault."""
    if url == "/subsidy/runs/":
        return {k: v for k, v in {"year": "2025", "budget": "1000"}.items() if k != param}
    if url == "/reports/statistics/":
        return {
            k: v
            for k, v in {"date_from": "2026-01-01", "date_to": "2026-06-30"}.items()
            if k != param
        }
    return {}


def test_a_nul_byte_in_the_loan_search_lists_nothing_and_keeps_the_page(cast):
    response = _client(cast, "bureau_staff").get("/loans/", {"q": "甲" + NUL})
    page = response.content.decode()
    assert response.status_code == 400
    assert 'id="filter-errors"' in page
    assert cast.loan_a.contract_no not in page
    ok = _client(cast, "bureau_staff").get("/loans/", {"q": "甲"})
    assert ok.status_code == 200 and cast.loan_a.contract_no in ok.content.decode()


@pytest.mark.parametrize("budget", ["1e30", "100000000000000000"])
def test_a_budget_too_large_in_the_query_string_is_refused_in_chinese(cast, budget):
    response = _client(cast, "quzhou_staff").get(
        "/subsidy/runs/", {"year": "2025", "budget": budget}
    )
    page = response.content.decode()
    assert response.status_code == 200  # the preview form shows its error; nothing is computed
    assert "14位整数" in page


@pytest.mark.parametrize("amount", ["1e30", "100000000000000000"])
def test_an_amount_filter_too_large_is_refused_in_chinese(cast, amount):
    response = _client(cast, "bureau_staff").get("/review/queue/", {"amount_min": amount})
    assert response.status_code == 400
    assert "14位整数" in response.content.decode()
