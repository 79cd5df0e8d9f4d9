"""The public subsidy notice (Quzhou 四(一) 公示): banks by their names, never the portal's internal codes."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from applications.models import Program
from subsidy.models import RunState, SubsidyRun
from subsidy.services import run_commit

pytestmark = pytest.mark.django_db


def test_the_public_notice_names_the_banks_not_their_codes(client, qz):
    qz.interest(qz.loan(contract="A-1"), "100.00")
    qz.interest(qz.loan(contract="B-1", bank=qz.bank_b), "200.00")
    run = run_commit(actor=qz.staff, program=qz.program, year=2025, budget="1000")
    # The stages before publicity are other tests' concern: the notice is shown once a run is publicized.
    SubsidyRun.objects.filter(pk=run.pk).update(state=RunState.PUBLICIZED)
    page = client.get(reverse("subsidy:public-notice", args=["quzhou", 2025]))
    body = page.content.decode()
    assert page.status_code == 200
    main = body[body.index("<main") :]
    assert "qz-a" not in main and "qz-b" not in main
    assert "银行代码" not in main
    banks = main[main.index('id="public-banks"') : main.index('id="public-lines"')]
    rows = re.findall(
        r"<tr><td>(.*?)</td><td class=\"num\">(\d+)</td><td class=\"num\">(.*?)</td>", banks
    )
    assert rows == [("衢州甲银行", "1", "30.00"), ("衢州乙银行", "1", "60.00")]
    lines = main[main.index('id="public-lines"') :]
    # Enterprises and banks by name; contract numbers are the banks' business, not the public's.
    assert "<td>衢州甲银行</td>" in lines and "<td>衢州乙银行</td>" in lines
    assert "A-1" not in lines and "B-1" not in lines
    assert {p.bank.code: p.amount for p in SubsidyRun.objects.get(pk=run.pk).lines.all()} == {
        "qz-a": Decimal("30.00"),
        "qz-b": Decimal("60.00"),
    }


def test_a_program_whose_kind_gives_no_subsidy_has_no_public_notice(client, qz):
    """The address names a program by its code; the registry says whether its kind has subsidy runs at all."""
    qz.interest(qz.loan(contract="A-1"), "100.00")
    run = run_commit(actor=qz.staff, program=qz.program, year=2025, budget="1000")
    SubsidyRun.objects.filter(pk=run.pk).update(state=RunState.PUBLICIZED)
    url = reverse("subsidy:public-notice", args=["quzhou", 2025])
    assert client.get(url).status_code == 200
    Program.objects.filter(pk=qz.program.pk).update(kind="changjiang")
    assert client.get(url).status_code == 404
