"""The dashboards' tallies in the admin: derived data, shown and never edited (`manage.py rebuild_tallies`
recounts them)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from kedaitong.admin_base import ReadOnlyAdmin
from reports.models import ApplicationTally, LoanTally


@admin.register(ApplicationTally)
class ApplicationTallyAdmin(ReadOnlyAdmin):
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
class LoanTallyAdmin(ReadOnlyAdmin):
    list_display = ("program", "bank", "day", "tech_field", "maturity", "count", "principal_fen")
    list_filter = ("program", "bank")
    date_hierarchy = "day"
