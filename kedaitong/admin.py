"""Admin pages for users, the calendar, and a read-only audit trail."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from kedaitong.admin_base import ReadOnlyAdmin
from kedaitong.models import (
    AuditEntry,
    CalendarDay,
    CalendarYear,
    IssuedDocument,
    Job,
    ScheduledRun,
    User,
)
from kedaitong.reference_io import ReferenceAdmin
from kedaitong.resources import CalendarDayResource, CalendarYearResource


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = (
        "username",
        "display_name",
        "role",
        "enterprise",
        "bank",
        "program",
        "is_active",
    )
    list_filter = ("role", "program", "is_active", "is_staff")
    search_fields = ("username", "display_name", "email", "enterprise__name", "bank__name")
    autocomplete_fields = ("enterprise", "bank")
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (
            _("Role and scope"),
            {
                "fields": (
                    "display_name",
                    "phone",
                    "role",
                    "enterprise",
                    "bank",
                    "program",
                    "email_verified_at",
                )
            },
        ),
    )
    readonly_fields = ("email_verified_at",)
    add_fieldsets = (
        *BaseUserAdmin.add_fieldsets,
        (
            _("Role and scope"),
            {"fields": ("display_name", "role", "enterprise", "bank", "program")},
        ),
    )


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    """The audit trail can be read and searched here, never edited or deleted."""

    list_display = (
        "at",
        "actor_name",
        "actor_role",
        "action",
        "object_repr",
        "from_state",
        "to_state",
    )
    list_filter = ("action", "actor_role")
    search_fields = ("action", "object_repr", "actor_name", "comment")
    date_hierarchy = "at"


@admin.register(CalendarYear)
class CalendarYearAdmin(ReferenceAdmin):
    resource_classes = [CalendarYearResource]
    list_display = ("year", "source")


@admin.register(CalendarDay)
class CalendarDayAdmin(ReferenceAdmin):
    resource_classes = [CalendarDayResource]
    list_display = ("date", "kind", "name")
    list_filter = ("kind",)
    date_hierarchy = "date"
    search_fields = ("name",)


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    """Jobs are watched here; they are started from the pages that need them."""

    list_display = (
        "title",
        "kind",
        "owner",
        "state",
        "done",
        "total",
        "attempts",
        "created_at",
        "finished_at",
    )
    list_filter = ("state", "kind")
    readonly_fields = [f.name for f in Job._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(ScheduledRun)
class ScheduledRunAdmin(admin.ModelAdmin):
    """What the daily work said each day (kedaitong.schedule); written by the workers only."""

    list_display = ("day", "name", "enqueued_at", "started_at", "finished_at", "exit_status")
    list_filter = ("name", "exit_status")
    date_hierarchy = "day"
    readonly_fields = [f.name for f in ScheduledRun._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(IssuedDocument)
class IssuedDocumentAdmin(ReadOnlyAdmin):
    """The register of issued PDFs (issue 21): read only, as the documents it proves."""

    list_display = ("number", "title", "issuer", "issued_at", "superseded_at")
    list_filter = ("kind",)
    search_fields = ("number", "code", "subject")
    exclude = ("snapshot",)


def _name_other_packages_columns() -> None:
    """Columns other packages' admins name after a method or property (shown as "Status", "Task name")."""
    from axes.admin import AccessAttemptAdmin
    from django_tasks_db.models import DBTaskResult

    AccessAttemptAdmin.status.short_description = _("Attempts left")  # type: ignore[attr-defined]
    DBTaskResult.task_name.fget.short_description = _("task")  # type: ignore[attr-defined]


_name_other_packages_columns()
