"""A new program gets its kind's reference rows (a second Changjiang district: the eleven materials of 附件2);
an audit row into an application's state dates its entry into it (`Application.state_entered_at`)."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Subquery
from django.db.models.signals import post_save
from django.dispatch import receiver

from applications.models import Application, Program
from kedaitong import programs
from kedaitong.models import AuditEntry


@receiver(post_save, sender=Program, dispatch_uid="applications-program-setup")
def program_created(
    sender: Any, instance: Program, created: bool, raw: bool = False, **kwargs: Any
) -> None:
    if not created or raw:  # loaddata brings its own rows
        return
    try:
        spec = programs.spec(instance)
    except programs.UnknownKind:
        return
    if spec.setup_program is not None:
        spec.setup_program(instance)


@receiver(post_save, sender=AuditEntry, dispatch_uid="applications-state-entered")
def state_entered(
    sender: Any, instance: AuditEntry, created: bool, raw: bool = False, **kwargs: Any
) -> None:
    """An audit row into an application's current state dates its entry into that state (`state_entered_at`).

    The stored time is the latest audit row into the state, as the queue's age read it from the trail per row
    before (review.selectors.with_entered_state): a row into another state, or an earlier one, changes
    nothing. Every logged transition (applications.lifecycle.step) writes such a row.
    """
    if not created or raw or not instance.to_state or not instance.object_id.isdigit():
        return
    if instance.content_type_id != ContentType.objects.get_for_model(Application).pk:
        return
    latest = (
        AuditEntry.objects.filter(
            content_type=instance.content_type_id,
            object_id=instance.object_id,
            to_state=instance.to_state,
        )
        .order_by("-at")
        .values("at")[:1]
    )
    Application.objects.filter(pk=int(instance.object_id), state=instance.to_state).update(
        state_entered_at=Subquery(latest)
    )
