"""Cooperation agreements that have run their term end: `BankAgreement.expire`, one audited transition each."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django_fsm import can_proceed

from kedaitong.audit import log_action
from loans.models import BankAgreement


def agreements_expire(*, on: dt.date | None = None) -> list[BankAgreement]:
    """Expire every agreement in force whose last day is before `on` (default: the bureau's today).

    附件2 十一(一): an agreement lasts three years; a renewal is a new agreement (十一(二)), so the old one
    expires all the same. Each agreement is locked and moved by its transition, with an audit row.
    """
    on = on or timezone.localdate()
    expired = []
    due = BankAgreement.objects.filter(status=BankAgreement.Status.ACTIVE, ends_on__lt=on)
    for pk in due.values_list("pk", flat=True):
        with transaction.atomic():
            agreement = BankAgreement.objects.select_for_update(no_key=True).get(pk=pk)
            if agreement.ends_on >= on or not can_proceed(agreement.expire):
                continue
            before = agreement.status
            agreement.expire()
            agreement.save(update_fields=["status"])
            log_action(
                actor=None,
                action="loans.agreement.expired",
                obj=agreement,
                from_state=before,
                to_state=agreement.status,
                data={"ends_on": agreement.ends_on, "on": on},
            )
            expired.append(agreement)
    return expired
