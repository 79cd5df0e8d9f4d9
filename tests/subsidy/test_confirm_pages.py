"""Confirm before what cannot be undone in the subsidy run (issue 18 item 4): 撤销本批次 and 审定 with its file."""

from __future__ import annotations

import pytest
from django.test import Client

from subsidy.models import RunState, SubsidyRun
from subsidy.services import run_commit
from tests.confirming import confirm_data
from tests.kedaitong.test_confirm import asks_first, refuses_tampering
from tests.subsidy.conftest import DAYS, pdf, shanghai, take

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def subsidy_run(qz):  # type: ignore[no-untyped-def]
    qz.interest(qz.loan(contract="A-1"), "100.00")
    qz.interest(qz.loan(contract="B-1", bank=qz.bank_b), "200.00")
    return run_commit(actor=qz.staff, program=qz.program, year=2025, budget="1000")


def test_cancelling_a_subsidy_run_is_confirmed_first(qz, subsidy_run):
    url = f"/subsidy/runs/{subsidy_run.pk}/cancel/"
    head = client_for(qz.head)

    def snapshot():  # type: ignore[no-untyped-def]
        return SubsidyRun.objects.get(pk=subsidy_run.pk).state

    first = asks_first(
        head, url, {"reason": "预算调整"}, snapshot, "90.00元", "玖拾元整", "衢州乙银行", "陆拾元整"
    )
    refuses_tampering(head, url, first, snapshot, changed="reason")
    assert head.post(url, confirm_data(first)).status_code == 302
    assert snapshot() == RunState.CANCELLED


def test_the_approval_keeps_its_minutes_file_until_confirmed(qz, clock, subsidy_run):
    run = take(qz, clock, take(qz, clock, subsidy_run, "audit"), "review")
    clock.move_to(shanghai(DAYS["approve"]), tick=False)
    url = f"/subsidy/runs/{run.pk}/approve/"
    head = client_for(qz.head)
    data = {"meeting_date": "2026-03-24", "minutes": pdf("党组会纪要.pdf"), "note": "审定通过"}

    def snapshot():  # type: ignore[no-untyped-def]
        return SubsidyRun.objects.get(pk=run.pk).state

    first = asks_first(head, url, data, snapshot, "党组会纪要.pdf", "玖拾元整")
    assert first.context["confirm"]["stash"]
    assert head.post(url, confirm_data(first)).status_code == 302
    approved = SubsidyRun.objects.get(pk=run.pk)
    assert approved.state == RunState.APPROVED and approved.meeting_minutes.read().startswith(
        b"%PDF"
    )
