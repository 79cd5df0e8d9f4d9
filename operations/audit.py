"""Walking the audit chain (`manage.py audit_verify`, daily) and keeping each check's result."""

from __future__ import annotations

import time
from collections.abc import Iterable
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils.translation import gettext as _

from kedaitong import auditchain
from kedaitong.models import AuditEntry
from operations.models import AuditCheck


def _message(result: auditchain.Result) -> str:
    if result.ok:
        return _(
            "The audit trail is intact: %(rows)s rows, each matching its hash and the row before it."
        ) % {"rows": result.rows}
    explain = {
        "content": _(
            "Audit row %(id)s no longer matches its own hash: it was changed after it was written. "
            "The %(rows)s rows before it are intact."
        ),
        "link": _(
            "Audit row %(id)s does not carry the hash of the row before it: a row before it was deleted, "
            "inserted or rewritten. The %(rows)s rows before it are intact."
        ),
        "anchor": _(
            "Audit row %(id)s has another hash than an earlier check or backup recorded: the chain was "
            "rewritten. The %(rows)s rows before it are intact."
        ),
        "cut": _(
            "Audit row %(id)s, seen by an earlier check or backup, is missing: rows were deleted. "
            "The %(rows)s rows before it are intact."
        ),
    }[result.problem]
    return explain % {"id": result.first_bad_id, "rows": result.rows}


def earlier_anchors() -> list[auditchain.Anchor]:
    """The last row of the latest intact check: it must still be there, with the same hash."""
    check = AuditCheck.objects.filter(ok=True, last_id__isnull=False).first()
    return [auditchain.Anchor(check.last_id, check.last_hash)] if check else []


def audit_verify(*, anchors: Iterable[auditchain.Anchor] = (), record: bool = True) -> AuditCheck:
    """Walk the whole chain in id order; keep (unless `record` is false) and return the result."""
    started = time.monotonic()
    content_types = {
        ct.pk: f"{ct.app_label}.{ct.model}"
        for ct in ContentType.objects.all().only("app_label", "model")
    }
    every_anchor = [*earlier_anchors(), *anchors]
    # One snapshot on PostgreSQL (REPEATABLE READ would need its own connection; a transaction keeps the
    # walk's reads together on SQLite, and on PostgreSQL rows appended meanwhile are simply not yet read).
    with transaction.atomic():
        rows = (
            AuditEntry.objects.order_by("id").values(*auditchain.FIELDS).iterator(chunk_size=5000)
        )
        result = auditchain.walk(rows, content_types, every_anchor)
    check = AuditCheck(
        ok=result.ok,
        rows=result.rows,
        last_id=result.last_id,
        last_hash=result.last_hash if result.last_id else "",
        first_bad_id=result.first_bad_id,
        message=_message(result),
        seconds=Decimal(f"{time.monotonic() - started:.3f}"),
    )
    if record:
        check.save()
    return check
