"""Reads other apps may call."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet

from subsidy.models import FraudRecord

if TYPE_CHECKING:
    from applications.models import Enterprise, Program
    from loans.models import Bank


def fraud_bar(
    bank: Bank | int | None = None,
    enterprise: Enterprise | int | None = None,
    program: Program | int | None = None,
) -> QuerySet[FraudRecord]:
    """Quzhou 六: 骗取科技金融合作贷款、财政贴息的，一经发现，不得再参与.

    Returns the fraud records that bar `bank` or `enterprise` (a record or its
    id; either may be None) from taking part, optionally within one program; an empty queryset
    means no bar. Loan registration can refuse when `.exists()`.
    """
    condition = Q(pk__in=[])
    if bank is not None:
        condition |= Q(bank=bank)
    if enterprise is not None:
        condition |= Q(enterprise=enterprise)
    records = FraudRecord.objects.filter(condition).select_related("bank", "enterprise")
    if program is not None:
        records = records.filter(program=program)
    return records
