"""A new program gets its kind's reference rows (a second Changjiang district: the eleven materials of 附件2)."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver

from applications.models import Program
from kedaitong import programs


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
