"""The access matrix: every URL pattern × every role, GET, on objects that belong to enterprise A and bank X.

One row per URL name, with the status each role must get. A URL added to the
portal without a row here fails `test_every_url_has_a_row`. Mutating URLs
answer GET with 405 (or a confirmation page); their POST paths are tested
per role in each app's own tests.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from kedaitong.models import Job, User
from loans.models import BankAgreement
from subsidy.models import BankFiling, SubsidyRun
from tests.conftest import Cast

ROLES = (
    "anonymous", "enterprise_a", "enterprise_b", "bureau_staff", "bureau_head",
    "leading_group", "bank_x", "bank_y", "auditor", "admin",
)
LOGIN = 302  # anonymous visitors are sent to the login page
GOVERNMENT = ("bureau_staff", "bureau_head", "leading_group", "auditor")


def expect(default: int, **overrides: int) -> dict[str, int]:
    unknown = set(overrides) - set(ROLES)
    assert not unknown, unknown
    return {role: overrides.get(role, default) for role in ROLES}


def for_government_and_banks(anonymous: int = LOGIN) -> dict[str, int]:
    return expect(200, anonymous=anonymous, enterprise_a=403, enterprise_b=403)


# Quzhou pages: government of the program and admin see them; enterprises and banks are outsiders (404).
QZ_GOVERNMENT = expect(404, anonymous=LOGIN, bureau_staff=200, bureau_head=200, leading_group=200, auditor=200, admin=200)


def qz_only(**allowed: int) -> dict[str, int]:
    """A Quzhou action: insiders without the role get 403, outsiders 404."""
    base = expect(404, anonymous=LOGIN, bureau_staff=403, bureau_head=403, leading_group=403, auditor=403, admin=403)
    return base | allowed


@dataclass(frozen=True)
class Row:
    name: str
    url: Callable[[Cast], str]
    expected: dict[str, int]
    program: str = "changjiang"  # "quzhou": the cast's government users and banks work on Quzhou instead


def move_cast_to_quzhou(cast: Cast) -> None:
    User.objects.filter(pk__in=[u.pk for u in (cast.bureau_staff, cast.bureau_head, cast.leading_group, cast.auditor)]).update(
        program=cast.quzhou
    )
    for bank in (cast.bank_x, cast.bank_y):
        BankAgreement.objects.create(bank=bank, program=cast.quzhou, starts_on=dt.date(2024, 1, 1), ends_on=dt.date(2026, 12, 31))


def subsidy_run(cast: Cast, year: int = 2025, **state: str) -> SubsidyRun:
    run = SubsidyRun(
        program=cast.quzhou, year=year, budget=Decimal("1000.00"), cutoff=dt.date(year, 12, 31),
        computed_total=Decimal("0.00"), total=Decimal("0.00"), **state,
    )
    run.save()
    return run


def bank_x_filing(cast: Cast) -> BankFiling:
    filing = BankFiling(bank=cast.bank_x, program=cast.quzhou, statement="申请备案", materials_name="m.pdf")
    filing.materials.save("m.pdf", ContentFile(b"%PDF-1.4 materials"), save=False)
    filing.save()
    return filing


def bank_x_agreement(cast: Cast) -> BankAgreement:
    return BankAgreement.objects.get(bank=cast.bank_x, program=cast.quzhou)


def own_job(cast: Cast) -> str:
    job = Job.objects.create(owner=cast.bureau_staff, kind="reports.ledger_export", title="t", state=Job.State.DONE)
    job.result.save("t.xlsx", ContentFile(b"x"))
    return f"/jobs/{job.public_id}/"


MATRIX: list[Row] = [
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
    Row("job-detail", own_job, expect(404, anonymous=LOGIN, bureau_staff=200)),
    Row("job-download", lambda c: own_job(c) + "download/", expect(404, anonymous=LOGIN, bureau_staff=200)),
    # Quzhou interest subsidy (issue 7): runs are the government's; banks see their own filings.
    *[
        Row(f"subsidy:{name}", url, expected, program="quzhou")
        for name, url, expected in [
            ("run-list", lambda c: "/subsidy/runs/", QZ_GOVERNMENT),
            ("run-create", lambda c: "/subsidy/runs/new/", expect(405)),
            ("run-detail", lambda c: f"/subsidy/runs/{subsidy_run(c).pk}/", QZ_GOVERNMENT),
            ("run-export", lambda c: f"/subsidy/runs/{subsidy_run(c).pk}/export.xlsx", QZ_GOVERNMENT),
            ("run-opinion", lambda c: f"/subsidy/runs/{subsidy_run(c).pk}/opinion/", expect(404, anonymous=LOGIN)),  # none uploaded yet
            ("run-audit", lambda c: f"/subsidy/runs/{subsidy_run(c).pk}/audit/", qz_only(auditor=200, admin=200)),
            ("run-publicize", lambda c: f"/subsidy/runs/{subsidy_run(c).pk}/publicize/", qz_only(bureau_staff=200, admin=200)),
            ("run-approve", lambda c: f"/subsidy/runs/{subsidy_run(c).pk}/approve/", qz_only(bureau_head=200, admin=200)),
            ("run-cancel", lambda c: f"/subsidy/runs/{subsidy_run(c).pk}/cancel/", qz_only(bureau_head=200, admin=200)),
            ("run-pay", lambda c: f"/subsidy/runs/{subsidy_run(c).pk}/pay/", expect(405)),
            ("public-notice", lambda c: f"/subsidy/public/quzhou/{subsidy_run(c, 2024, state='publicized').year}/", expect(200)),
            ("filing-list", lambda c: "/subsidy/banks/", expect(200, anonymous=LOGIN, enterprise_a=404, enterprise_b=404)),
            ("filing-create", lambda c: "/subsidy/banks/filings/new/", expect(405)),
            ("filing-detail", lambda c: f"/subsidy/banks/filings/{bank_x_filing(c).pk}/", QZ_GOVERNMENT | {"bank_x": 200}),
            ("filing-opinion", lambda c: f"/subsidy/banks/filings/{bank_x_filing(c).pk}/opinion/", expect(405)),
            ("filing-materials", lambda c: f"/subsidy/banks/filings/{bank_x_filing(c).pk}/materials/", QZ_GOVERNMENT | {"bank_x": 200}),
            ("agreement-pdf", lambda c: f"/subsidy/banks/agreements/{bank_x_agreement(c).pk}/pdf/", QZ_GOVERNMENT | {"bank_x": 200}),
            ("agreement-renew", lambda c: f"/subsidy/banks/agreements/{bank_x_agreement(c).pk}/renew/",
             qz_only(bureau_staff=200, bureau_head=200, admin=200, bank_x=403)),
            ("agreement-terminate", lambda c: f"/subsidy/banks/agreements/{bank_x_agreement(c).pk}/terminate/",
             qz_only(bureau_staff=200, bureau_head=200, admin=200, bank_x=403)),
            ("fraud-list", lambda c: "/subsidy/fraud/", QZ_GOVERNMENT),
            ("lpr-import", lambda c: "/subsidy/lpr/import/", expect(403, anonymous=LOGIN, admin=200)),
        ]
    ],
]

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
