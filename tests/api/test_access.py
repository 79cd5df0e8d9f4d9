"""The token holders' access matrix: every route of /api/v1/ × every kind of caller.

Only a bank's clerk can make a token (tests/access_matrix_table.py: `api-tokens:create` is 403 for
every other role), and a browser session opens nothing here (401 for every role in the main
matrix). So the callers are: no token, a made-up one, bank X's read and write tokens, bank Y's,
and X's tokens that are revoked, expired, or whose maker is no longer a clerk of the bank.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from api.models import ApiToken
from api.services import token_create, token_revoke
from kedaitong.roles import Role
from loans.models import RecordUpload
from tests.api.helpers import TODAY
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CALLERS = ("none", "made_up", "x_read", "x_write", "y_write", "revoked", "expired", "maker_left")
LIVE = {"x_read", "x_write", "y_write"}


def expect(default: int, **overrides: int) -> dict[str, int]:
    return {caller: overrides.get(caller, default) for caller in CALLERS}


def for_live(status: int, **overrides: int) -> dict[str, int]:
    return expect(401, **{c: status for c in LIVE}) | overrides


def secrets_for(cast) -> dict[str, str | None]:  # type: ignore[no-untyped-def]
    def make(user, name, scope="write", days=30):  # type: ignore[no-untyped-def]
        return token_create(
            actor=user, name=name, scope=scope, expires_on=TODAY + dt.timedelta(days=days)
        )

    revoked = make(cast.bank_x_user, "revoked")
    token_revoke(actor=cast.bank_x_user, token=revoked.token)
    expired = make(cast.bank_x_user, "expired", days=1)
    ApiToken.objects.filter(pk=expired.token.pk).update(expires_on=TODAY - dt.timedelta(days=1))
    leaver = UserFactory(username="leaver", role=Role.BANK, bank=cast.bank_x)
    left = make(leaver, "left")
    leaver.role, leaver.bank = Role.ENTERPRISE, None
    leaver.enterprise = cast.enterprise_a
    leaver.save()
    return {
        "none": None,
        "made_up": "kdt_abcdefgh_" + "x" * 43,
        "x_read": make(cast.bank_x_user, "read", scope="read").secret,
        "x_write": make(cast.bank_x_user, "write").secret,
        "y_write": make(cast.bank_y_user, "y-write").secret,
        "revoked": revoked.secret,
        "expired": expired.secret,
        "maker_left": left.secret,
    }


def x_batch(cast) -> str:  # type: ignore[no-untyped-def]
    upload = RecordUpload.objects.create(
        kind="interest",
        program=cast.changjiang,
        bank=cast.bank_x,
        source="api",
        file="imports/api.json",
        original_name="api-interest.json",
        checksum="0" * 64,
        uploaded_by=cast.bank_x_user,
    )
    return f"/api/v1/batches/{upload.public_id}"


READS = [
    ("token", lambda c: "/api/v1/token", for_live(200)),
    ("applications", lambda c: "/api/v1/applications", for_live(200)),
    ("loans", lambda c: "/api/v1/loans", for_live(200)),
    ("loan-detail", lambda c: f"/api/v1/loans/{c.loan_a.public_id}", for_live(200, y_write=404)),
    ("subsidy-lines", lambda c: "/api/v1/subsidy-lines", for_live(200)),
    ("compensation-claims", lambda c: "/api/v1/compensation-claims", for_live(200)),
    ("batch-detail", x_batch, for_live(200, y_write=404)),
]
KINDS = ("disbursements", "repayments", "interest", "overdue", "reports")
ROWS = (
    [("GET", name, url, expected) for name, url, expected in READS]
    + [("POST", name, url, expect(405)) for name, url, _ in READS]
    + [
        (
            "POST",
            f"batch-{k}",
            lambda c, k=k: f"/api/v1/batches/{k}?program=changjiang",
            for_live(422, x_read=403),
        )
        for k in KINDS
    ]
    + [
        ("GET", f"batch-{k}", lambda c, k=k: f"/api/v1/batches/{k}?program=changjiang", expect(405))
        for k in KINDS
    ]
    + [
        ("GET", "openapi-json", lambda c: "/api/v1/openapi.json", expect(200)),
        ("GET", "openapi-view", lambda c: "/api/v1/docs", expect(200)),
    ]
)


@pytest.mark.parametrize(
    ("method", "name", "url", "expected"), ROWS, ids=[f"{r[0]} {r[1]}" for r in ROWS]
)
def test_each_caller_gets_the_expected_status(cast, method, name, url, expected):
    secrets = secrets_for(cast)
    path = url(cast)
    got = {}
    for caller, secret in secrets.items():
        headers = {"Authorization": f"Bearer {secret}"} if secret else {}
        client = Client()
        if method == "GET":
            got[caller] = client.get(path, headers=headers).status_code
        else:
            got[caller] = client.post(
                path,
                data=b'{"rows": []}',
                content_type="application/json",
                headers=headers | {"Idempotency-Key": f"matrix-{caller}"},
            ).status_code
    assert got == expected, path


def test_every_api_route_is_in_this_matrix():
    from tests.test_access_matrix import url_names

    api = {n.removeprefix("api-v1:") for n in url_names() if n.startswith("api-v1:")}
    assert api - {"api-root"} == {name for _, name, _, _ in ROWS}, (
        "add rows here for new API routes"
    )
    assert timezone.localdate() == TODAY
