"""Demo records of the review side: a running publicity batch for the demo application in publicity (Changjiang);
the banks' 同意放贷意见书 of the Quzhou applications they agreed to (二).

Idempotent: the batch is created only while that application has no publicity entry, a bank decision only
while the application has none. The batch's period starts on the day the demo is loaded, so the public page
shows it running.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils import timezone

from applications.models import Application
from kedaitong.models import User
from kedaitong.roles import Role
from review.models import BankDecision, PublicityBatch, PublicityEntry
from review.services import publicity_end

if TYPE_CHECKING:
    from kedaitong.demo import DemoResult


def extend(result: DemoResult) -> None:
    quzhou_decisions(result)
    waiting = list(
        Application.objects.filter(
            program_version__program__code="changjiang",
            state=Application.State.PUBLICITY,
            publicity_entry__isnull=True,
        ).select_related("program_version__program")
    )
    clerk = (
        User.objects.filter(role=Role.BUREAU_STAFF, program__code="changjiang")
        .order_by("pk")
        .first()
    )
    if not waiting or clerk is None:
        return
    program = waiting[0].program_version.program
    today = timezone.localdate()
    batch = PublicityBatch.objects.create(
        program=program, start_date=today, end_date=publicity_end(program, today), created_by=clerk
    )
    for application in waiting:
        PublicityEntry.objects.create(
            batch=batch, application=application, credit_amount=application.amount
        )
    result.created["publicity batches"] += 1


def quzhou_decisions(result: DemoResult) -> None:
    """Quzhou 二: the demo applications the bank agreed to carry its decision (the letter is printed from it)."""
    from decimal import Decimal

    agreed = Application.objects.filter(
        program_version__program__code="quzhou",
        state__in=[
            Application.State.CREDIT_GRANTED,
            Application.State.DISBURSED,
            Application.State.REPORTED,
        ],
        bank_decisions__isnull=True,
    ).select_related("bank")
    for application in agreed:
        clerk = User.objects.filter(role=Role.BANK, bank=application.bank_id).order_by("pk").first()
        if clerk is None:
            continue
        BankDecision.objects.create(
            application=application,
            approved=True,
            credit_amount=application.amount,
            annual_rate=Decimal("3.0000"),
            term_months=application.term_months or 12,
            opinion="经本行独立审核，同意放贷。",
            head_name="演示支行行长",
            decided_by=clerk,
        )
        result.created["bank decisions"] += 1
