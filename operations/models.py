"""What operations keep: every change to a money row, each audit-chain check, each backup set made."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ExactJSONDecoder(json.JSONDecoder):
    """Numbers with a fraction come back as Decimal, so a yuan amount written by a trigger stays exact."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("parse_float", Decimal)
        super().__init__(*args, **kwargs)


class RecordChange(models.Model):
    """One insert, update or delete of a money row, written by a database trigger (`operations.history`).

    Bulk paths (`bulk_create`, `QuerySet.update`, raw SQL) leave one row each like
    `save()` does. `before` and `after` are the whole row as the database held it;
    the actor and the way in (page, job, command) come from the context the portal
    set for the connection, and are empty for a change made outside the portal.
    """

    class Operation(models.TextChoices):
        INSERT = "insert", _("Created")
        UPDATE = "update", _("Changed")
        DELETE = "delete", _("Deleted")

    at = models.DateTimeField(_("time"))
    model = models.CharField(_("record type"), max_length=100)
    object_id = models.CharField(_("record"), max_length=64)
    # The record whose page shows this change (the loan of a repayment, the claim of a payment…).
    parent_id = models.CharField(max_length=64, blank=True)
    operation = models.CharField(_("change"), max_length=6, choices=Operation.choices)
    actor = models.ForeignKey(
        "kedaitong.User",
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_name = models.CharField(_("actor name"), max_length=150, blank=True)
    actor_role = models.CharField(_("actor role"), max_length=20, blank=True)
    via = models.CharField(_("made through"), max_length=300, blank=True)
    context_id = models.CharField(max_length=32, blank=True)
    before = models.JSONField(_("before"), null=True, blank=True, decoder=ExactJSONDecoder)
    after = models.JSONField(_("after"), null=True, blank=True, decoder=ExactJSONDecoder)

    class Meta:
        verbose_name = _("record change")
        verbose_name_plural = _("record changes")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["model", "object_id"], name="recordchange_object"),
            models.Index(fields=["model", "parent_id"], name="recordchange_parent"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.operation} {self.model} {self.object_id}"


class AuditCheck(models.Model):
    """One walk of the audit chain by `audit_verify`: how far it got and the first row that did not match."""

    checked_at = models.DateTimeField(_("checked at"), default=timezone.now)
    ok = models.BooleanField(_("intact"))
    rows = models.PositiveIntegerField(_("rows checked"))
    last_id = models.BigIntegerField(_("last row"), null=True, blank=True)
    last_hash = models.CharField(_("hash of the last row"), max_length=64, blank=True)
    first_bad_id = models.BigIntegerField(_("first row that does not match"), null=True, blank=True)
    message = models.TextField(_("result"))
    seconds = models.DecimalField(_("seconds"), max_digits=9, decimal_places=3, default=0)

    class Meta:
        verbose_name = _("audit chain check")
        verbose_name_plural = _("audit chain checks")
        ordering = ["-checked_at", "-id"]

    def __str__(self) -> str:
        return f"{self.checked_at:%Y-%m-%d %H:%M} {'ok' if self.ok else 'broken'}"


class BackupRun(models.Model):
    """One backup set written by `backup` (or the reason it could not be), shown on the admin's home page."""

    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    ok = models.BooleanField(_("written"), default=False)
    name = models.CharField(_("set"), max_length=200, blank=True)
    location = models.CharField(_("where"), max_length=300, blank=True)
    size = models.BigIntegerField(_("bytes"), default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    removed = models.JSONField(
        _("older sets removed"), default=list, blank=True, encoder=DjangoJSONEncoder
    )
    message = models.TextField(_("result"), blank=True)

    class Meta:
        verbose_name = _("backup")
        verbose_name_plural = _("backups")
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M} {self.name or self.message[:40]}"
