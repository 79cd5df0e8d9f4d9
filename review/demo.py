"""Demo records of the review side: a running publicity batch for the demo application in publicity.

Idempotent: the batch is created only while that application has no publicity entry.
Its period starts on the day the demo is loaded, so the public page shows it running.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils import timezone

from applications.models import Application
from kedaitong.models import User
from kedaitong.roles import Role
from review.models import PublicityBatch, PublicityEntry
from review.services import publicity_end

if TYPE_CHECKING:
    from kedaitong.demo import DemoResult


def extend(result: DemoResult) -> None:
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
