from django.contrib import admin

from subsidy.models import (
    BankFiling,
    BankPayment,
    Complaint,
    FilingOpinion,
    FraudRecord,
    LPRRate,
    SubsidizedSettlement,
    SubsidyExclusion,
    SubsidyLine,
    SubsidyRun,
)


@admin.register(LPRRate)
class LPRRateAdmin(admin.ModelAdmin):
    list_display = ("effective_date", "one_year", "five_year", "source")
    date_hierarchy = "effective_date"


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records made through the services (with their audit rows): visible here, never edited here."""

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(SubsidyRun)
class SubsidyRunAdmin(ReadOnlyAdmin):
    list_display = ("program", "year", "state", "budget", "total", "cutoff", "created_at")
    list_filter = ("program", "state")


@admin.register(BankFiling)
class BankFilingAdmin(ReadOnlyAdmin):
    list_display = ("bank", "program", "state", "submitted_at", "decided_at")


@admin.register(FraudRecord)
class FraudRecordAdmin(ReadOnlyAdmin):
    list_display = ("program", "bank", "enterprise", "found_on")


@admin.register(Complaint)
class ComplaintAdmin(ReadOnlyAdmin):
    list_display = ("agreement", "received_on", "complainant")


@admin.register(FilingOpinion, SubsidyLine, SubsidyExclusion, SubsidizedSettlement, BankPayment)
class SubsidyRecordAdmin(ReadOnlyAdmin):
    """The lines, links, opinions and payments of runs and filings, for reading only."""
