"""Reads other apps may call."""

from __future__ import annotations

from django.db.models import Q

from subsidy.models import FraudRecord


def fraud_bar(bank=None, enterprise=None, program=None):  # type: ignore[no-untyped-def]
    """Quzhou 六: 骗取科技金融合作贷款、财政贴息的，一经发现，不得再参与.

    Returns the fraud records that bar `bank` or `enterprise` (either may be
    None) from taking part, optionally within one program; an empty queryset
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
