"""The history of money rows, the audit-chain checks and the backups: read-only in the administration site."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from operations.models import AuditCheck, BackupRun, RecordChange


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(RecordChange)
class RecordChangeAdmin(ReadOnly):
    list_display = ("at", "model", "object_id", "operation", "actor_name", "actor_role", "via")
    list_filter = ("model", "operation", "actor_role")
    search_fields = ("object_id", "parent_id", "actor_name", "via")
    date_hierarchy = "at"


@admin.register(AuditCheck)
class AuditCheckAdmin(ReadOnly):
    list_display = ("checked_at", "ok", "rows", "last_id", "first_bad_id", "seconds")
    list_filter = ("ok",)


@admin.register(BackupRun)
class BackupRunAdmin(ReadOnly):
    list_display = ("started_at", "ok", "name", "size", "location")
    list_filter = ("ok",)
