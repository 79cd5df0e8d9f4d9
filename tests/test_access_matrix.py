"""The access matrix: every URL pattern × every role, GET, on objects that belong to enterprise A and bank X.

Core URLs have their rows here; each app lists its own in `tests/<app>/access_rows.py`
(vocabulary in tests/access.py). A URL added to the portal without a row fails
`test_every_url_has_a_row`. Mutating URLs answer GET with 405 (or a confirmation
page); their POST paths are tested per role in each app's own tests.
"""

from __future__ import annotations

from importlib import import_module
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from kedaitong.models import Job
from tests.access import LOGIN, ROLES, Row, expect, for_government_and_banks, move_cast_to_quzhou
from tests.conftest import Cast


def own_job(cast: Cast) -> str:
    job = Job.objects.create(owner=cast.bureau_staff, kind="reports.ledger_export", title="t", state=Job.State.DONE)
    job.result.save("t.xlsx", ContentFile(b"x"))
    return f"/jobs/{job.public_id}/"


CORE: list[Row] = [
    Row("home", lambda c: "/", expect(200)),
    Row("healthz", lambda c: "/healthz/", expect(200)),
    Row("login", lambda c: "/accounts/login/", expect(302, anonymous=200)),
    Row("logout", lambda c: "/accounts/logout/", expect(405)),
    Row("password_change", lambda c: "/accounts/password_change/", expect(200, anonymous=LOGIN)),
    Row("password_change_done", lambda c: "/accounts/password_change/done/", expect(200, anonymous=LOGIN)),
    Row("password_reset", lambda c: "/accounts/password_reset/", expect(200)),
    Row("password_reset_done", lambda c: "/accounts/password_reset/done/", expect(200)),
    Row("password_reset_confirm", lambda c: "/accounts/reset/MQ/invalid-token/", expect(200)),
    Row("password_reset_complete", lambda c: "/accounts/reset/done/", expect(200)),
    Row("set_language", lambda c: "/i18n/setlang/", expect(302)),  # GET changes nothing and redirects back
    Row(
        "applications:enterprise-detail",
        lambda c: f"/enterprises/{c.enterprise_a.public_id}/",
        expect(200, anonymous=LOGIN, enterprise_b=404, bank_y=404),
    ),
    Row(
        "applications:application-detail",
        lambda c: f"/applications/{c.application_a.public_id}/",
        expect(200, anonymous=LOGIN, enterprise_b=404, bank_y=404),
    ),
    Row("loans:bank-list", lambda c: "/banks/", for_government_and_banks()),
    Row(
        "loans:bank-detail",
        lambda c: f"/banks/{c.bank_x.code}/",
        expect(200, anonymous=LOGIN, enterprise_a=404, enterprise_b=404, bank_y=404),
    ),
    Row("reports:index", lambda c: "/reports/", for_government_and_banks()),
    Row("reports:dashboard", lambda c: "/reports/dashboard/", for_government_and_banks()),
    Row("reports:ledger", lambda c: "/reports/ledgers/loans/", for_government_and_banks()),
    Row("reports:ledger-export", lambda c: "/reports/ledgers/loans/export/", expect(405)),
    Row("reports:statistics", lambda c: "/reports/statistics/", for_government_and_banks()),
    Row("job-detail", own_job, expect(404, anonymous=LOGIN, bureau_staff=200)),
    Row("job-download", lambda c: own_job(c) + "download/", expect(404, anonymous=LOGIN, bureau_staff=200)),
]


def app_rows() -> list[Row]:
    rows: list[Row] = []
    for module in sorted(Path(__file__).parent.glob("*/access_rows.py")):
        rows.extend(import_module(f"tests.{module.parent.name}.access_rows").ROWS)
    return rows


MATRIX = CORE + app_rows()

# Patterns that are not the portal's own pages.
NOT_IN_MATRIX_NAMESPACES = ("admin",)


def url_names() -> set[str]:
    def walk(patterns, namespace=None):  # type: ignore[no-untyped-def]
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                ns = pattern.namespace
                yield from walk(pattern.url_patterns, f"{namespace}:{ns}" if namespace and ns else ns or namespace)
            elif isinstance(pattern, URLPattern) and pattern.name:
                yield f"{namespace}:{pattern.name}" if namespace else pattern.name

    return {name for name in walk(get_resolver().url_patterns) if not name.startswith(NOT_IN_MATRIX_NAMESPACES)}


def test_every_url_has_a_row():
    missing = url_names() - {row.name for row in MATRIX}
    assert not missing, f"add rows to the access matrix for: {sorted(missing)}"


@pytest.mark.django_db
@pytest.mark.parametrize("row", MATRIX, ids=[row.name for row in MATRIX])
def test_each_role_gets_the_expected_status(row, cast):
    if row.program == "quzhou":
        move_cast_to_quzhou(cast)
    url = row.url(cast)
    users = cast.users()
    got = {}
    for role in ROLES:
        client = Client()
        if role != "anonymous":
            client.force_login(users[role])
        got[role] = client.get(url).status_code
    assert got == row.expected, url
