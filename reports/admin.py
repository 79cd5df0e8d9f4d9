"""The dashboards' tallies in the admin: derived data, shown and never edited (`manage.py rebuild_tallies`
recounts them)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from reports.models import ApplicationTally, LoanTally


class TallyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ApplicationTally)
class ApplicationTallyAdmin(TallyAdmin):
    list_display = ("program", "day", "state_label", "submitted", "count", "amount_fen")

    @admin.display(description=_("state"), ordering="state")
    def state_label(self, obj: ApplicationTally) -> str:
        from applications.models import Application

        try:
            return str(Application.State(obj.state).label)
        except ValueError:
            return obj.state

    list_filter = ("program", "submitted")
    date_hierarchy = "day"


@admin.register(LoanTally)
class LoanTallyAdmin(TallyAdmin):
    list_display = ("program", "bank", "day", "tech_field", "maturity", "count", "principal_fen")
    list_filter = ("program", "bank")
    date_hierarchy = "day"
