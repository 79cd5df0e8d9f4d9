"""docs/api.md's httpx example, run as written against a live server: a refused batch prints its row errors,
the corrected one is saved, and the same key with other rows is refused."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest
from django.conf import settings

from loans.models import Loan
from tests.api.helpers import make_token

pytestmark = pytest.mark.django_db(transaction=True)

DOC = Path(settings.BASE_DIR) / "docs" / "api.md"


def example() -> str:
    text = DOC.read_text(encoding="utf-8")
    block = text.split("<!-- httpx-example", 1)[1].split("<!-- /httpx-example -->", 1)[0]
    return re.search(r"```python\n(.*?)```", block, re.S).group(1)


def run(code: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, str(DOC), "exec"), {})  # noqa: S102 - the documented example, as a bank would run it
    return out.getvalue()


def test_the_documented_httpx_example_works(world, live_server, monkeypatch):
    monkeypatch.setenv("KDT_URL", live_server.url)
    monkeypatch.setenv("KDT_TOKEN", make_token(world["clerk_x"]))
    code = example().replace("91330800MA2XXXXXXX", world["enterprise"].credit_code)
    refused = run(code.replace('"principal": "1000000.00"', '"principal": "12.345"'))
    assert refused.splitlines() == [
        "1行有错误，整批未保存",
        "第1行 [放款金额（元）]：金额“12.345”超过两位小数（精确到分），请核对后重填",
    ]
    saved = run(code)
    assert saved.startswith("已保存：新增1行，未变0行（批次 ")
    assert Loan.objects.filter(contract_no="QZ-2026-001").count() == 1
    reused = run(code.replace('"2.9"', '"2.8"'))
    assert reused.startswith("409 Idempotency-Key“2026-03-10-disb-001”已用于")
