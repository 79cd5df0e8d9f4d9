"""Token life cycle: a bank clerk makes a token (shown once, hashed at rest), uses it, revokes it; expiry; scope."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
import time_machine
from django.db import connection
from django.test import Client

from api.models import ApiToken
from api.services import TokenConflict, TokenNotAllowed, TokenRefused, token_create
from kedaitong.models import AuditEntry
from kedaitong.roles import Role
from tests.api.helpers import TODAY, Bank, make_token
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def logged_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def test_a_token_is_made_shown_once_kept_only_as_its_hash_used_and_revoked(world):
    clerk = world["clerk_x"]
    page = logged_in(clerk)
    response = page.post(
        "/api-tokens/new/", {"name": "信贷核心系统", "scope": "write", "valid_days": "90"}
    )
    assert response.status_code == 302 and response["Location"] == "/api-tokens/"
    shown = page.get("/api-tokens/")
    html = shown.content.decode()
    assert shown.status_code == 200 and shown["Cache-Control"] == "no-store"
    secret = html.split('<code id="token-secret">')[1].split("</code>")[0]
    assert secret.startswith("kdt_") and len(secret) > 50
    assert "只显示这一次" in html or "shown this once" in html
    # Shown once: the next visit has the token in the table but no secret.
    again = page.get("/api-tokens/").content.decode()
    assert secret not in again and "信贷核心系统" in again

    token = ApiToken.objects.get()
    assert (token.bank, token.scope, token.created_by) == (world["bank_x"], "write", clerk)
    assert token.expires_on == TODAY + dt.timedelta(days=89)
    assert token.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    with connection.cursor() as cursor:  # nowhere in the table's columns
        cursor.execute("SELECT * FROM api_apitoken")
        assert not any(secret in str(value) for value in cursor.fetchone())
    created = AuditEntry.objects.get(action="api.token.created")
    assert created.actor == clerk and secret not in str(created.data)

    bank = Bank(secret)
    answer = bank.get("/token")
    assert answer.status_code == 200
    assert answer.json() | {"prefix": None} == {
        "name": "信贷核心系统",
        "prefix": None,
        "bank_code": "bank-x",
        "bank_name": "X银行",
        "scope": "write",
        "expires_on": "2026-06-07",
        "throttle": "120/m",
        "max_batch_rows": 10000,
    }
    call = AuditEntry.objects.get(action="api.call")
    assert call.actor == clerk and call.data["via"] == token.label and call.data["status"] == 200
    assert "信贷核心系统" in call.data["via"]
    token.refresh_from_db()
    assert token.last_used_at is not None

    confirm = page.get(f"/api-tokens/{token.public_id}/revoke/")
    assert confirm.status_code == 200 and "401" in confirm.content.decode()
    assert page.post(f"/api-tokens/{token.public_id}/revoke/").status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None and token.revoked_by == clerk
    refused = bank.get("/token")
    assert refused.status_code == 401 and refused.json()["detail"] == "令牌已撤销"
    assert refused["WWW-Authenticate"].startswith("Bearer")
    assert AuditEntry.objects.filter(action="api.token.revoked", actor=clerk).count() == 1
    # Twice: the second clerk is told who revoked it and when.
    twice = page.post(f"/api-tokens/{token.public_id}/revoke/")
    assert twice.status_code == 409 and "撤销" in twice.content.decode()


def test_an_expired_token_is_refused_from_the_day_after_its_last_day(world):
    bank = Bank(make_token(world["clerk_x"], days=1))
    assert bank.get("/token").status_code == 200
    last_day = dt.datetime(2026, 3, 11, 23, 59, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    with time_machine.travel(last_day, tick=False):
        assert bank.get("/token").status_code == 200
    with time_machine.travel(last_day + dt.timedelta(minutes=2), tick=False):
        answer = bank.get("/token")
    assert answer.status_code == 401 and answer.json()["detail"] == "令牌已于2026-03-11到期"


def test_a_token_dies_with_its_makers_place_at_the_bank(world):
    clerk = world["clerk_x"]
    bank = Bank(make_token(clerk))
    clerk.is_active = False
    clerk.save()
    answer = bank.get("/token")
    assert answer.status_code == 401 and "已停用" in answer.json()["detail"]


def test_wrong_and_garbled_tokens_are_refused_alike(world):
    secret = make_token(world["clerk_x"])
    prefix = secret.split("_")[1]
    for wrong in (
        secret[:-1] + ("A" if secret[-1] != "A" else "B"),
        f"kdt_{prefix}_short",
        "kdt_nothing",
        "not-a-token",
        "kdt_" + "x" * 5000,
    ):
        answer = Bank(wrong).get("/token")
        assert answer.status_code == 401 and answer.json()["detail"] == "令牌无效", wrong[:20]
    # A session is not a credential of the API.
    client = logged_in(world["clerk_x"])
    assert client.get("/api/v1/token").status_code == 401
    assert not AuditEntry.objects.filter(action="api.call").exists()


def test_a_read_only_token_reads_but_may_not_write(world):
    bank = Bank(make_token(world["clerk_x"], scope="read"))
    assert bank.get("/loans").status_code == 200
    answer = bank.send(
        "repayments", [{"contract_no": "QZ-1", "repaid_on": "2026-01-05", "principal": "1"}]
    )
    assert (
        answer.status_code == 403
        and answer.json()["detail"] == "该令牌只读，不能写入；请使用读写令牌"
    )
    assert not world["loan"].repayments.exists()
    assert AuditEntry.objects.filter(action="api.call", data__status=403).count() == 1


def test_only_a_bank_clerk_makes_tokens_and_the_rules_of_making_one(world):
    clerk = world["clerk_x"]
    for other in (
        UserFactory(role=Role.ADMIN, is_staff=True, is_superuser=True),
        UserFactory(role=Role.BUREAU_STAFF, program=world["program"]),
    ):
        with pytest.raises(TokenNotAllowed):
            token_create(actor=other, name="x", scope="read", expires_on=TODAY)
    with pytest.raises(TokenRefused, match="有效期最长366天"):
        token_create(actor=clerk, name="x", scope="read", expires_on=TODAY + dt.timedelta(days=400))
    with pytest.raises(TokenRefused, match="不能早于今天"):
        token_create(actor=clerk, name="x", scope="read", expires_on=TODAY - dt.timedelta(days=1))
    with pytest.raises(TokenRefused, match="只读或读写"):
        token_create(actor=clerk, name="x", scope="admin", expires_on=TODAY)
    make_token(clerk, name="同名")
    with pytest.raises(TokenConflict, match="同名"):
        make_token(clerk, name="同名")
    # The form keeps what was typed and says why.
    page = logged_in(clerk)
    answer = page.post("/api-tokens/new/", {"name": "同名", "scope": "read", "valid_days": "30"})
    assert answer.status_code == 400 and "同名" in answer.content.decode()
    assert ApiToken.objects.count() == 1


def test_the_administrator_sees_and_revokes_the_tokens_of_its_programs_banks_and_another_bank_sees_nothing(
    world,
):
    make_token(world["clerk_x"], name="X系统")
    token = ApiToken.objects.get()
    admin = UserFactory(role=Role.ADMIN, is_staff=True, is_superuser=True)
    other_bank = logged_in(world["clerk_y"])
    assert "X系统" not in other_bank.get("/api-tokens/").content.decode()
    assert other_bank.post(f"/api-tokens/{token.public_id}/revoke/").status_code == 404
    # The administrator works in one program at a time (applications/scope.py): bank X is on Quzhou only,
    # so in Changjiang its token is not there; switched to Quzhou, it is listed and revoked.
    page = logged_in(admin)
    in_changjiang = page.get("/api-tokens/?program=changjiang")
    assert in_changjiang.status_code == 200 and "X系统" not in in_changjiang.content.decode()
    assert page.post(f"/api-tokens/{token.public_id}/revoke/").status_code == 404
    assert "X系统" in page.get("/api-tokens/?program=quzhou").content.decode()
    assert page.post(f"/api-tokens/{token.public_id}/revoke/").status_code == 302
    token.refresh_from_db()
    assert token.revoked_by == admin
