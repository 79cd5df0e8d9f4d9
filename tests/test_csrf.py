"""CSRF on every POST: each mutating URL of the access matrix, as the role allowed to use it.

Without the token the request is refused (403) before the view runs; with the
token taken from the portal's own cookie it gets exactly the status the access
matrix (tests/access_matrix_table.py) expects for that role. A mutating URL is
any POST row some role gets past the method check with; the public forms
(login, registration, password reset, the objection form) are tried anonymously.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.test import Client

from applications.scope import SESSION_KEY
from tests.access import ROLES, Row, kept_cast_fixtures
from tests.access_matrix_table import table
from tests.conftest import Cast, log_in
from tests.test_access_matrix import row_program

ALLOWED = {200, 302, 400}


kept, cast = kept_cast_fixtures()


def allowed_role(row: Row) -> str | None:
    """Who may use a POST row: anonymous for a public form, else the first role past the access checks."""
    if row.expected["anonymous"] in {200, 400}:
        return "anonymous"
    return next((role for role in ROLES[1:] if row.expected[role] in ALLOWED), None)


MUTATING = [row for row in table() if row.method == "POST" and allowed_role(row)]


def test_every_mutating_url_is_checked():
    names = {row.name for row in MUTATING}
    # The kinds of POST the issue names: the public objection form and the money steps.
    assert {
        "review:public-objection",
        "compensation:claim-decide",
        "compensation:claim-pay",
        "subsidy:run-pay",
        "loans:upload-create",
        "loans:upload-confirm",
        "applications:application-submit",
        "review:bank-material",
        "logout",
    } <= names
    assert len(MUTATING) >= 60


def client_for(role: str, cast: Cast, program: str = "changjiang") -> tuple[Client, str]:
    """A CSRF-enforcing client logged in as `role` and working in `program`, and the token of its cookie."""
    client = Client(enforce_csrf_checks=True)
    if role != "anonymous":
        # A bank in several programs works in the row's (as the switch stores it).
        log_in(client, cast.users()[role], **{SESSION_KEY: program})
    page = client.get("/accounts/login/" if role == "anonymous" else "/")
    assert page.status_code == 200
    return client, client.cookies[settings.CSRF_COOKIE_NAME].value


@pytest.mark.django_db
@pytest.mark.parametrize("row", MUTATING, ids=[row.name for row in MUTATING])
def test_a_post_without_the_token_is_refused_and_with_it_goes_through(row, cast):
    program = row_program(row, cast)
    url = row.url(cast)
    role = allowed_role(row)
    client, token = client_for(role, cast, program.code)
    data = dict(row.data or {})
    with transaction.atomic():
        refused = client.post(url, data)
        transaction.set_rollback(True)
    assert refused.status_code == 403, url
    assert (
        "CSRF" in refused.content.decode()
    )  # Django's CSRF failure page, not a permission refusal
    cache.clear()
    with transaction.atomic():
        accepted = client.post(url, data | {"csrfmiddlewaretoken": token})
        transaction.set_rollback(True)
    assert accepted.status_code == row.expected[role], (url, role)
    assert accepted.status_code != 403


@pytest.mark.django_db
def test_a_token_from_another_session_is_refused(cast):
    """The token is bound to the browser's cookie: one copied from another visitor does not do."""
    _, other_token = client_for("bureau_head", cast)
    client, _ = client_for("bureau_staff", cast)
    response = client.post("/accounts/logout/", {"csrfmiddlewaretoken": other_token})
    assert response.status_code == 403
    assert client.get("/review/queue/").status_code == 200  # still logged in
