"""The audit trail is append-only: no edit, no delete, in code or in the admin."""

from __future__ import annotations

import pytest

from kedaitong.audit import log_action
from kedaitong.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_it_records_who_did_what_to_which_object(cast, rf):
    request = rf.post("/", REMOTE_ADDR="10.1.2.3")
    entry = log_action(
        actor=cast.bureau_staff,
        action="applications.application.approved",
        obj=cast.application_a,
        from_state="bureau_review",
        to_state="group_review",
        comment="材料齐全",
        request=request,
    )
    entry.refresh_from_db()
    assert (entry.actor, entry.actor_role, entry.ip_address) == (
        cast.bureau_staff,
        "bureau_staff",
        "10.1.2.3",
    )
    assert list(AuditEntry.objects.for_object(cast.application_a)) == [entry]


def test_entries_cannot_be_changed_or_deleted(cast):
    entry = log_action(actor=None, action="system.test", obj=cast.loan_a)
    entry.comment = "changed"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.all().update(comment="x")
    with pytest.raises(PermissionError):
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.get().comment == ""


def test_the_admin_shows_the_trail_read_only(client, cast):
    entry = log_action(actor=cast.admin, action="system.test", obj=cast.loan_a)
    client.force_login(cast.admin)
    assert client.get("/admin/kedaitong/auditentry/").status_code == 200
    assert client.get("/admin/kedaitong/auditentry/add/").status_code == 403
    assert (
        client.post(f"/admin/kedaitong/auditentry/{entry.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert AuditEntry.objects.count() == 1
