"""Bank API: the tokens a bank's systems authenticate with, and the batches they sent (for Idempotency-Key)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kedaitong.roles import Role

if TYPE_CHECKING:
    from kedaitong.models import User


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def visible_to(self, user: User) -> ApiTokenQuerySet:
        """A bank's clerks see their bank's tokens; the administrator those of the banks of the program it works in
        (`Bank.objects.visible_to`, applications/scope.py), to revoke one."""
        role = user.effective_role if user.is_authenticated else ""
        if role == Role.ADMIN:
            from loans.models import Bank

            return self.filter(bank__in=Bank.objects.visible_to(user))
        if role == Role.BANK and user.bank_id:
            return self.filter(bank=user.bank_id)
        return self.none()


class ApiToken(models.Model):
    """One credential of a bank's system. Only the SHA-256 of the token is stored; the token is shown once.

    A token speaks for the bank clerk who made it, within that clerk's bank: it works while
    it is not revoked, not past `expires_on` (the bureau's date) and its maker is still an
    active user of the bank; `scope` read or write.
    """

    class Scope(models.TextChoices):
        READ = "read", _("Read only")
        WRITE = "write", _("Read and write")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    bank = models.ForeignKey(
        "loans.Bank", on_delete=models.PROTECT, related_name="api_tokens", verbose_name=_("bank")
    )
    name = models.CharField(
        _("name"),
        max_length=60,
        help_text=_("What the token is for, e.g. the name of the system that uses it."),
    )
    prefix = models.CharField(_("token prefix"), max_length=16, unique=True, editable=False)
    secret_hash = models.CharField(_("SHA-256 of the token"), max_length=64, editable=False)
    scope = models.CharField(_("scope"), max_length=5, choices=Scope.choices)
    expires_on = models.DateField(_("valid until"))
    created_by = models.ForeignKey(
        "kedaitong.User",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        "kedaitong.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("revoked by"),
    )
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["bank", "-created_at"]
        constraints = [
            # The audit trail names a token by its name: two live tokens of a bank never share one.
            models.UniqueConstraint(
                fields=["bank", "name"],
                condition=Q(revoked_at__isnull=True),
                name="apitoken_live_name_unique_per_bank",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"

    @property
    def label(self) -> str:
        """How the audit trail and the upload list name the token."""
        return f"API令牌“{self.name}”（{self.prefix}）"

    def state(self, today: object = None) -> str:
        """ "revoked", "expired" or "active" on the bureau's date."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_on < (today or timezone.localdate()):
            return "expired"
        return "active"


class ApiBatch(models.Model):
    """A batch saved through the API under an Idempotency-Key: the same key and body get the same answer again.

    Only saved batches bind their key (a refused batch may be corrected and sent under
    the same key); the key is the bank's, whichever of its tokens sent it.
    """

    bank = models.ForeignKey(
        "loans.Bank", on_delete=models.PROTECT, related_name="+", verbose_name=_("bank")
    )
    key = models.CharField(_("Idempotency-Key"), max_length=100)
    token = models.ForeignKey(
        ApiToken, on_delete=models.PROTECT, related_name="batches", verbose_name=_("API token")
    )
    kind = models.CharField(_("kind"), max_length=20)
    fingerprint = models.CharField(_("SHA-256 of the request"), max_length=64)
    upload = models.ForeignKey(
        "loans.RecordUpload",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("upload"),
    )
    status_code = models.PositiveSmallIntegerField(_("status"))
    response = models.JSONField(_("answer"), default=dict)
    created_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        verbose_name = _("API batch")
        verbose_name_plural = _("API batches")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["bank", "key"], name="apibatch_key_unique_per_bank"),
        ]

    def __str__(self) -> str:
        return f"{self.bank_id} {self.key}"
