"""A bank sees its own subsidy once the run is publicized: its lines, its exclusions, its payment; nobody else's."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from subsidy.models import SubsidyRun
from subsidy.services import run_commit
from tests.subsidy.conftest import PUBLICITY_START, advance, shanghai

pytestmark = pytest.mark.django_db


@pytest.fixture
def run(qz):
    qz.interest(qz.loan(contract="A-1"), "100.00")
    qz.interest(qz.loan(contract="A-2", rate="3.50"), "100.00")  # above the LPR: excluded
    qz.interest(qz.loan(contract="B-1", bank=qz.bank_b), "200.00")
    return run_commit(actor=qz.staff, program=qz.program, year=2025, budget="1000")


def publicize(qz, clock, run: SubsidyRun) -> SubsidyRun:
    """Through 四(一)'s stages to a publicity from 2026-04-01; the clock on its first day."""
    run = advance(qz, clock, run, "publicize")
    clock.move_to(shanghai(PUBLICITY_START), tick=False)
    return run


def test_nothing_before_publicity(client, qz, clock, run):
    advance(qz, clock, run, "publicize")  # decided on 03-26, public from 04-01
    client.force_login(qz.bank_user)
    page = client.get(reverse("subsidy:bank-subsidy")).content.decode()
    assert "A-1" not in page and "本行尚无已公示的贴息批次" in page
    assert client.get(reverse("subsidy:bank-subsidy-export", args=[run.pk])).status_code == 404


def test_own_lines_exclusions_and_export_only(client, qz, clock, run):
    publicize(qz, clock, run)
    client.force_login(qz.bank_user)  # bank A
    page = client.get(reverse("subsidy:bank-subsidy")).content.decode()
    assert "A-1" in page and "30.00" in page
    assert "A-2" in page  # listed as not subsidized, with its reason
    assert "B-1" not in page
    response = client.get(reverse("subsidy:bank-subsidy-export", args=[run.pk]))
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(response.content))
    contracts = {
        row[0] for ws in wb.worksheets for row in ws.iter_rows(values_only=True) if row and row[0]
    }
    assert "A-1" in contracts and "A-2" in contracts and "B-1" not in contracts


def test_payment_shows_when_recorded(client, qz, clock, run):
    from subsidy.services import run_record_payment

    run = advance(qz, clock, run, "issue")
    clock.move_to(shanghai(dt.date(2026, 5, 6)), tick=False)
    run_record_payment(
        actor=qz.staff, run=run, bank=qz.bank_a, paid_on=dt.date(2026, 5, 6), voucher_no="PZ-0506"
    )
    client.force_login(qz.bank_user)
    page = client.get(reverse("subsidy:bank-subsidy")).content.decode()
    assert "2026-05-06" in page and "PZ-0506" in page
    assert "衢市科〔2026〕12号" in page  # the funds document


def test_government_roles_are_refused(client, qz, run):
    client.force_login(qz.staff)
    assert client.get(reverse("subsidy:bank-subsidy")).status_code == 403
