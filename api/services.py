"""API tokens: made by a bank's clerk (shown once, only its SHA-256 kept), revoked, and checked on every call."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from api.models import ApiToken
from kedaitong.audit import log_action
from kedaitong.errors import Conflict, NotAllowed, Refused
from kedaitong.models import User
from kedaitong.roles import Role

TOKEN_PREFIX = "kdt"
# The longest a token may live; a bank renews it by making a new one and revoking the old.
MAX_VALID_DAYS = 366
PREFIX_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"  # no 0/o, 1/l: read aloud over the phone


class TokenRefused(Refused):
    pass


class TokenNotAllowed(NotAllowed):
    pass


class TokenConflict(Conflict):
    pass


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    secret: str  # the whole token, shown to its maker once and never stored


def hash_secret(secret: str) -> str:
    """SHA-256, not a slow password hash: a token carries 256 random bits, so nothing is to be gained by guessing
    slowly, and every API call checks one."""
    return hashlib.sha256(secret.encode()).hexdigest()


def _new_prefix() -> str:
    return "".join(secrets.choice(PREFIX_ALPHABET) for _ in range(8))


def token_create(*, actor: User, name: str, scope: str, expires_on: dt.date) -> NewToken:
    """A bank clerk makes a token for the bank's system: scoped to the bank, read or write, with an expiry."""
    if actor.effective_role != Role.BANK or not actor.bank_id:
        raise TokenNotAllowed("只有合作银行的用户可以创建API令牌")
    name = name.strip()
    if not name:
        raise TokenRefused("请填写令牌名称（例如使用它的系统名称）")
    if scope not in ApiToken.Scope.values:
        raise TokenRefused("权限应为只读或读写")
    today = timezone.localdate()
    if expires_on < today:
        raise TokenRefused("有效期不能早于今天")
    if expires_on > today + dt.timedelta(days=MAX_VALID_DAYS):
        raise TokenRefused(
            f"有效期最长{MAX_VALID_DAYS}天（至{today + dt.timedelta(days=MAX_VALID_DAYS):%Y-%m-%d}）"
        )
    with transaction.atomic():
        if ApiToken.objects.filter(bank=actor.bank_id, name=name, revoked_at__isnull=True).exists():
            raise TokenConflict(f"本行已有名为“{name}”的有效令牌，请换一个名称或先撤销它")
        for _attempt in range(5):
            prefix = _new_prefix()
            secret = f"{TOKEN_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
            try:
                with transaction.atomic():
                    token = ApiToken.objects.create(
                        bank_id=actor.bank_id,
                        name=name,
                        prefix=prefix,
                        secret_hash=hash_secret(secret),
                        scope=scope,
                        expires_on=expires_on,
                        created_by=actor,
                    )
                break
            except IntegrityError:
                if ApiToken.objects.filter(
                    bank=actor.bank_id, name=name, revoked_at__isnull=True
                ).exists():
                    raise TokenConflict(f"本行已有名为“{name}”的有效令牌") from None
                continue  # the prefix was taken: draw another
        else:  # pragma: no cover - 32^8 prefixes
            raise TokenConflict("未能生成令牌，请重试")
        log_action(
            actor=actor,
            action="api.token.created",
            obj=token,
            data={
                "name": name,
                "prefix": prefix,
                "scope": scope,
                "expires_on": expires_on.isoformat(),
            },
        )
    return NewToken(token=token, secret=secret)


def token_revoke(*, actor: User, token: ApiToken) -> ApiToken:
    """Revoke at once: the next call with it is a 401. A clerk of the bank or the administrator."""
    role = actor.effective_role
    if not (role == Role.ADMIN or (role == Role.BANK and actor.bank_id == token.bank_id)):
        raise TokenNotAllowed("只有本行用户或系统管理员可以撤销该令牌")
    with transaction.atomic():
        locked = ApiToken.objects.select_for_update(no_key=True).get(pk=token.pk)
        if locked.revoked_at is not None:
            raise TokenConflict(
                f"该令牌已于{timezone.localtime(locked.revoked_at):%Y-%m-%d %H:%M}被{locked.revoked_by}撤销"
            )
        locked.revoked_at = timezone.now()
        locked.revoked_by = actor
        locked.save(update_fields=["revoked_at", "revoked_by"])
        log_action(
            actor=actor,
            action="api.token.revoked",
            obj=locked,
            data={"name": locked.name, "prefix": locked.prefix},
        )
    return locked


class TokenInvalid(Exception):
    """The credential does not open the API (401); the message says why, without telling a guesser more."""


def token_authenticate(secret: str) -> ApiToken:
    """The token behind `secret` if it is live: not revoked, not expired, its maker an active clerk of its bank."""
    parts = secret.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX or len(parts[1]) != 8:
        raise TokenInvalid("令牌无效")
    token = (
        ApiToken.objects.select_related("bank", "created_by", "created_by__bank")
        .filter(prefix=parts[1])
        .first()
    )
    if token is None or not hmac.compare_digest(token.secret_hash, hash_secret(secret)):
        raise TokenInvalid("令牌无效")
    if token.revoked_at is not None:
        raise TokenInvalid("令牌已撤销")
    if token.expires_on < timezone.localdate():
        raise TokenInvalid(f"令牌已于{token.expires_on:%Y-%m-%d}到期")
    maker = token.created_by
    if not maker.is_active or maker.effective_role != Role.BANK or maker.bank_id != token.bank_id:
        raise TokenInvalid("创建该令牌的用户已停用或已不属于本行，令牌失效")
    return token
