"""A worker killed in the middle of a decision leaves it wholly done or wholly undone.

A child process decides a claim against the test database; it is held (by a
patched audit writer) after the budget row was raised and the decision row
written, inside the transaction, and killed there with SIGKILL. The budget,
the decision and the claim's state are then all as before; run to the end,
all three have changed together.
"""

from __future__ import annotations

import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest

from compensation import services
from compensation.models import Claim, ClaimState, CompensationBudget, Decision
from tests.compensation.helpers import ON, bad_loan
from tests.kedaitong.test_killed_midway import ROOT, killable_env, killed

pytestmark = pytest.mark.django_db(transaction=True)

CHILD = """
import os, sys, time, datetime as dt
import django
django.setup()
from compensation import services
from compensation.models import Claim
from kedaitong.models import User
hold = sys.argv[2]
if hold:
    real = services.log_action
    def held(**kw):
        open(hold, "w").write("inside")
        time.sleep(60)
        return real(**kw)
    services.log_action = held
claim = Claim.objects.get(pk=int(sys.argv[1]))
services.claim_decide(actor=User.objects.get(username="group"), claim=claim, amount="100.00", covered_loss="1000.00",
                      on=dt.date(2026, 11, 20))
"""


def run_child(claim: Claim, hold: str) -> subprocess.Popen[bytes]:
    env = killable_env(DJANGO_SETTINGS_MODULE="kedaitong.settings")
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, str(claim.pk), hold],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


@pytest.mark.slow
def test_a_decision_killed_midway_is_wholly_undone_and_a_finished_one_wholly_done(
    cast, tmp_path: Path
):
    loan = bad_loan(cast)
    claim = Claim.objects.create(
        reference="KILL-1",
        loan=loan,
        bank=loan.bank,
        program=cast.changjiang,
        requested_amount=Decimal("100.00"),
        loss_principal=Decimal("1000.00"),
        overdue_since=ON,
        case_number="c",
        description="d",
        state=ClaimState.GROUP_REVIEW,
    )
    services.budget_set(
        actor=cast.leading_group, program=cast.changjiang, year=ON.year, amount="1000.00"
    )

    marker = tmp_path / "inside"
    child = run_child(claim, str(marker))
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert child.poll() is None, child.stderr.read() if child.stderr else ""
        assert time.monotonic() < deadline
        time.sleep(0.05)
    killed(child)
    assert CompensationBudget.objects.get().committed == Decimal("0.00")
    assert not Decision.objects.exists()
    assert Claim.objects.get(pk=claim.pk).state == ClaimState.GROUP_REVIEW

    child = run_child(claim, "")
    assert child.wait(timeout=60) == 0, child.stderr.read() if child.stderr else ""
    assert CompensationBudget.objects.get().committed == Decimal("100.00")
    assert Decision.objects.get().amount == Decimal("100.00")
    assert Claim.objects.get(pk=claim.pk).state == ClaimState.DECIDED
