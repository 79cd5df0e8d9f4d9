"""The history of money rows, the audit-chain checks and the backups: read-only in the administration site."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from kedaitong.admin_base import ReadOnlyAdmin
from operations.models import AuditCheck, BackupRun, RecordChange


def record_type_name(label: str) -> str:
    """A model label ("loans.loan", as the trigger writes it) as people call the record (贷款)."""
    try:
        return str(apps.get_model(label)._meta.verbose_name)
    except (LookupError, ValueError):
        return label


class RecordTypeFilter(admin.SimpleListFilter):
    title = _("record type")
    parameter_name = "model"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        labels = RecordChange.objects.order_by("model").values_list("model", flat=True).distinct()
        return [(label, record_type_name(label)) for label in labels]

    def queryset(self, request: HttpRequest, queryset: Any) -> Any:
        return queryset.filter(model=self.value()) if self.value() else queryset


@admin.register(RecordChange)
class RecordChangeAdmin(ReadOnlyAdmin):
    list_display = (
        "at",
        "record_type",
        "object_id",
        "operation",
        "actor_name",
        "actor_role",
        "via",
    )
    list_filter = (RecordTypeFilter, "operation", "actor_role")

    @admin.display(description=_("record type"), ordering="model")
    def record_type(self, change: RecordChange) -> str:
        return record_type_name(change.model)

    search_fields = ("object_id", "parent_id", "actor_name", "via")
    date_hierarchy = "at"


@admin.register(AuditCheck)
class AuditCheckAdmin(ReadOnlyAdmin):
    list_display = ("checked_at", "ok", "rows", "last_id", "first_bad_id", "seconds")
    list_filter = ("ok",)


@admin.register(BackupRun)
class BackupRunAdmin(ReadOnlyAdmin):
    list_display = ("started_at", "ok", "name", "size", "location")
    list_filter = ("ok",)
