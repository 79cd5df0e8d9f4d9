"""Users with roles and scope, the append-only audit trail, and the official calendar."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib.auth.models import AbstractUser, UserManager
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connections, models, router, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kedaitong import auditchain
from kedaitong.roles import PROGRAM_ROLES, Role

# The role values as a set, made once: `Role.values` builds a new list on every access, and `effective_role`
# is read about ten times a request.
_ROLE_VALUES = frozenset(Role.values)


class User(AbstractUser):
    """A person who logs in. Role and scope decide everything they may see."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    display_name = models.CharField(_("name"), max_length=50, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, blank=True)
    enterprise = models.ForeignKey(
        "applications.Enterprise",
        verbose_name=_("enterprise"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
    )
    bank = models.ForeignKey(
        "loans.Bank",
        verbose_name=_("bank"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
    )
    program = models.ForeignKey(
        "applications.Program",
        verbose_name=_("program"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
    )
    # Set when the user follows a signed link sent to `email` (registration), or sets a first
    # password through an invitation link sent there; empty means the address is unproven.
    email_verified_at = models.DateTimeField(_("e-mail address verified at"), null=True, blank=True)

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            # Scope fields belong to one role each, so a bank clerk can never
            # also carry an enterprise, and an enterprise user always has one.
            models.CheckConstraint(
                condition=~Q(role=Role.ENTERPRISE) | Q(enterprise__isnull=False),
                name="user_enterprise_role_has_enterprise",
            ),
            models.CheckConstraint(
                condition=Q(role=Role.ENTERPRISE) | Q(enterprise__isnull=True),
                name="user_enterprise_only_for_enterprise_role",
            ),
            models.CheckConstraint(
                condition=~Q(role=Role.BANK) | Q(bank__isnull=False),
                name="user_bank_role_has_bank",
            ),
            models.CheckConstraint(
                condition=Q(role=Role.BANK) | Q(bank__isnull=True),
                name="user_bank_only_for_bank_role",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name or self.username

    def get_short_name(self) -> str:
        """What the admin site greets the user with (欢迎，…): the name people know, as everywhere else."""
        return self.display_name or self.username

    @property
    def effective_role(self) -> str:
        """The role that decides access; a superuser without a role acts as admin.

        An unknown or empty role gives no access at all, never a broader one.
        """
        if self.role in _ROLE_VALUES:
            return self.role
        if self.is_superuser:
            return Role.ADMIN
        return ""

    @property
    def is_program_scoped(self) -> bool:
        return self.effective_role in PROGRAM_ROLES


class AuditQuerySet(models.QuerySet["AuditEntry"]):
    def bulk_create(self, objs: Any, *args: Any, **kwargs: Any) -> list[AuditEntry]:
        """Append several rows at once, each chained to the one before (same lock as `save`)."""
        objs = list(objs)
        with transaction.atomic(using=self.db):
            auditchain.serialize_appends(connections[self.db])
            previous = _chain_head(self.db)
            for obj in objs:
                previous = obj._seal(previous)
            return super().bulk_create(objs, *args, **kwargs)

    def update(self, **kwargs: Any) -> int:
        raise PermissionError("audit entries are append-only")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("audit entries are append-only")

    def for_object(self, obj: models.Model) -> AuditQuerySet:
        return self.filter(
            content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk)
        ).select_related("actor")


def _chain_head(using: str) -> str:
    """The hash of the latest row, which the next row must carry (the chain starts from GENESIS)."""
    head = (
        AuditEntry.objects.using(using).order_by("-id").values_list("row_hash", flat=True).first()
    )
    return head or auditchain.GENESIS


class AuditEntry(models.Model):
    """One thing that happened: who, when, what, to which object, from and to which state.

    Rows form a hash chain (`kedaitong.auditchain`): `prev_hash` is the hash of
    the row before, `row_hash` the hash of this row's content with it. On
    PostgreSQL a trigger refuses UPDATE and DELETE of this table; on SQLite the
    chain shows any edit (`manage.py audit_verify`).
    """

    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        User,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_name = models.CharField(_("actor name"), max_length=150, blank=True)
    actor_role = models.CharField(_("actor role"), max_length=20, blank=True)
    action = models.CharField(_("action"), max_length=100, db_index=True)
    content_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    from_state = models.CharField(_("from"), max_length=40, blank=True)
    to_state = models.CharField(_("to"), max_length=40, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    ip_address = models.GenericIPAddressField(_("address"), null=True, blank=True)
    prev_hash = models.CharField(_("hash of the previous row"), max_length=64, blank=True)
    row_hash = models.CharField(_("hash of this row"), max_length=64, blank=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit trail")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_repr}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise PermissionError("audit entries are append-only")
        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        # Appends are serialized until the transaction ends, so each row links to the row committed before it.
        with transaction.atomic(using=using):
            auditchain.serialize_appends(connections[using])
            self._seal(_chain_head(using))
            super().save(*args, **kwargs)

    def _seal(self, previous: str) -> str:
        """Link this new row to `previous` and compute its own hash; returns it."""
        if timezone.is_naive(self.at):
            self.at = timezone.make_aware(self.at)
        self.prev_hash = previous
        content_type = (
            ContentType.objects.get_for_id(self.content_type_id) if self.content_type_id else None
        )
        self.row_hash = auditchain.digest(
            at=self.at,
            actor_id=self.actor_id,
            actor_name=self.actor_name,
            actor_role=self.actor_role,
            action=self.action,
            content_type=f"{content_type.app_label}.{content_type.model}" if content_type else None,
            object_id=self.object_id,
            object_repr=self.object_repr,
            from_state=self.from_state,
            to_state=self.to_state,
            comment=self.comment,
            data=self.data,
            ip_address=self.ip_address,
            prev_hash=previous,
        )
        return self.row_hash

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("audit entries are append-only")


class CalendarYear(models.Model):
    """A year whose official holiday arrangement (国务院办公厅通知) is loaded.

    For a year not listed here, working days fall back to Monday–Friday and
    every page that uses them says so.
    """

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    source = models.CharField(_("source"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("calendar year")
        verbose_name_plural = _("calendar years")
        ordering = ["year"]

    def __str__(self) -> str:
        return str(self.year)


class CalendarDay(models.Model):
    """A day that breaks the Monday–Friday rule: a holiday on a weekday or an adjusted working day."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("Holiday")
        WORKDAY = "workday", _("Adjusted working day")

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()} {self.name}"


class Job(models.Model):
    """Long work run in the background (large exports and imports, subsidy runs, batch PDFs).

    The Tasks API runs it (`task_id` names its current task result); this row
    keeps what that API lacks: the owner, progress, the result file or link,
    and the heartbeat by which a job whose worker died is queued again
    (`kedaitong.jobs`). A job is claimed with a compare-and-swap on its state.
    """

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # The Task's path (`loans.tasks.import_upload`), by which it is enqueued again.
    kind = models.CharField(_("kind"), max_length=200)
    title = models.CharField(_("title"), max_length=200)
    params = models.JSONField(_("parameters"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    owner = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="jobs", verbose_name=_("owner")
    )
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.QUEUED, db_index=True
    )
    done = models.PositiveIntegerField(_("done"), default=0)
    total = models.PositiveIntegerField(_("total"), default=0)
    message = models.CharField(_("message"), max_length=300, blank=True)
    result = models.FileField(_("result"), upload_to="jobs/%Y/", blank=True)
    result_name = models.CharField(_("file name"), max_length=200, blank=True)
    # Where the job's result lives when it is a record rather than a file (a subsidy run, say).
    link = models.CharField(_("result page"), max_length=300, blank=True)
    link_label = models.CharField(_("result page title"), max_length=200, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # The id of the task result (Tasks API) of the current attempt; empty until enqueued.
    task_id = models.CharField(_("task"), max_length=64, blank=True, db_index=True)

    class Meta:
        verbose_name = _("background job")
        verbose_name_plural = _("background jobs")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(done__lte=models.F("total")) | Q(total=0), name="job_done_within_total"
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.get_state_display()})"

    @property
    def percent(self) -> int:
        if self.state == self.State.DONE:
            return 100
        return int(self.done * 100 / self.total) if self.total else 0


class IssuedDocument(models.Model):
    """A PDF the portal issued: its number, the SHA-256 of the filled document it was made from, its QR code's code.

    The same document (kind and record) with the same content keeps its number however
    often it is printed; a changed content is a new issue, and the one before it is
    superseded. The public page `/verify/<code>/` says what the document is, when and by
    whom it was issued, and whether it is current (kedaitong/verification.py).
    """

    code = models.CharField(_("verification code"), max_length=20, unique=True, editable=False)
    number = models.CharField(_("issue number"), max_length=30, unique=True, editable=False)
    kind = models.CharField(_("document kind"), max_length=60)
    title = models.CharField(_("document"), max_length=200)
    issuer = models.CharField(_("issued by"), max_length=200)
    subject = models.CharField(
        _("record"), max_length=120, help_text=_("The record the document was made from.")
    )
    sha256 = models.CharField(_("SHA-256 of the record snapshot"), max_length=64)
    snapshot = models.TextField(
        _("record snapshot"),
        help_text=_(
            "The filled document (every value taken from the records) whose SHA-256 it carries."
        ),
    )
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)
    issued_by = models.ForeignKey(
        User,
        verbose_name=_("printed first by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    superseded_at = models.DateTimeField(_("superseded at"), null=True, blank=True)
    superseded_by = models.ForeignKey(
        "self",
        verbose_name=_("superseded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("issued document")
        verbose_name_plural = _("issued documents")
        ordering = ["-issued_at", "-id"]
        constraints = [
            # At most one current issue of a document of one record.
            models.UniqueConstraint(
                fields=["kind", "subject"],
                condition=Q(superseded_at__isnull=True),
                name="issueddocument_one_current_per_record",
            ),
        ]
        indexes = [models.Index(fields=["kind", "subject"])]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def is_current(self) -> bool:
        return self.superseded_at is None


class Notification(models.Model):
    """The in-app inbox: one row per party told of something (a hand-over of an application, a proposal ...).

    Written by `kedaitong.notifications.notify`, which also sends the e-mails at commit. The table keeps the
    name it had when the review app owned the model.
    """

    user = models.ForeignKey(
        User,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("user"),
    )
    application = models.ForeignKey(
        "applications.Application",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("application"),
    )
    message = models.CharField(_("message"), max_length=300)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        db_table = "review_notification"
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_user_unread")]

    def __str__(self) -> str:
        return self.message


class ScheduledRun(models.Model):
    """One day's run of a piece of daily work (`kedaitong.schedule`): the row that makes it once a day.

    Several workers may see the work due at the same moment; the unique
    (name, day) lets exactly one of them enqueue it.
    """

    name = models.CharField(_("name"), max_length=100)
    day = models.DateField(_("bureau day"))
    task_id = models.CharField(_("task"), max_length=64, blank=True)
    enqueued_at = models.DateTimeField(_("enqueued at"), default=timezone.now)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    exit_status = models.SmallIntegerField(_("exit status"), null=True, blank=True)
    output = models.TextField(_("output"), blank=True)

    class Meta:
        verbose_name = _("scheduled run")
        verbose_name_plural = _("scheduled runs")
        ordering = ["-day", "name"]
        constraints = [
            models.UniqueConstraint(fields=["name", "day"], name="scheduled_run_once_a_day")
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.day}"
