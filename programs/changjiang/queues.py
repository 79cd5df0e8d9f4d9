"""Changjiang's queues: staff see what waits for an opinion, the head what waits for a signature (maker-checker)."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q

from kedaitong.roles import Role
from review.models import Opinion


def _pending_draft() -> Exists:
    return Exists(
        Opinion.objects.filter(
            application=OuterRef("pk"),
            kind=Opinion.Kind.BUREAU,
            signed_at__isnull=True,
            created_at__gte=OuterRef("submitted_at"),
        )
    )


def queue_filter(role: str, qs: Any) -> Any:
    """Staff: submitted and resubmitted, and those under review without a draft awaiting sign-off; head: awaiting it."""
    qs = qs.annotate(
        pending_draft=_pending_draft(),
        resubmitted=Exists(
            Opinion.objects.filter(application=OuterRef("pk"), kind=Opinion.Kind.RETURN)
        ),
    )
    if role == Role.BUREAU_STAFF:
        return qs.filter(Q(state="submitted") | Q(state="bureau_review", pending_draft=False))
    if role == Role.BUREAU_HEAD:
        return qs.filter(state="bureau_review", pending_draft=True)
    return qs
