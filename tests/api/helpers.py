"""Driving the bank API as a bank's system would: a token, JSON bodies, the headers."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import time_machine
from django.test import Client

from api import services
from kedaitong.models import User

TODAY = dt.date(2026, 3, 10)  # the bureau's date in these tests


def today_clock() -> time_machine.travel:
    return time_machine.travel(
        dt.datetime.combine(TODAY, dt.time(10), tzinfo=ZoneInfo("Asia/Shanghai")), tick=False
    )


def make_token(user: User, *, scope: str = "write", days: int = 90, name: str = "核心系统") -> str:
    return services.token_create(
        actor=user, name=name, scope=scope, expires_on=TODAY + dt.timedelta(days=days)
    ).secret


class Bank:
    """A bank's system: every call with its token."""

    def __init__(self, secret: str | None) -> None:
        self.secret = secret
        self.client = Client()

    def headers(self, **extra: str) -> dict[str, str]:
        headers = dict(extra)
        if self.secret:
            headers["Authorization"] = f"Bearer {self.secret}"
        return headers

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(f"/api/v1{path}", params, headers=self.headers())

    def send(
        self,
        kind: str,
        rows: Any,
        *,
        program: str = "quzhou",
        key: str | None = "k-1",
        raw: bytes | str | None = None,
        dry_run: bool = False,
    ) -> Any:
        body = (
            raw if raw is not None else json.dumps({"rows": rows}, ensure_ascii=False, default=str)
        )
        extra = {"Idempotency-Key": key} if key is not None else {}
        query = f"?program={program}" + ("&dry_run=true" if dry_run else "")
        return self.client.post(
            f"/api/v1/batches/{kind}{query}",
            data=body,
            content_type="application/json",
            headers=self.headers(**extra),
        )


def money(value: str) -> Decimal:
    return Decimal(value)
