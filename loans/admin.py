from django.contrib import admin

from loans.models import (
    Bank,
    BankAgreement,
    InterestSettlement,
    Loan,
    LoanDocument,
    MaturityReminder,
    OverdueEvent,
    PostLoanReport,
    RecordUpload,
    Repayment,
    UploadedRecord,
)


class BankAgreementInline(admin.TabularInline):
    model = BankAgreement
    extra = 0
    readonly_fields = ("status",)  # changed only by its transitions (expire, terminate)


@admin.register(Bank)
class BankAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "contact_name", "contact_phone")
    search_fields = ("code", "name")
    inlines = [BankAgreementInline]


@admin.register(BankAgreement)
class BankAgreementAdmin(admin.ModelAdmin):
    list_display = ("bank", "program", "number", "starts_on", "ends_on", "status")
    list_filter = ("program", "status")
    readonly_fields = ("status",)  # changed only by its transitions (expire, terminate)


@admin.register(Loan)
class LoanAdmin(admin.ModelAdmin):
    list_display = (
        "contract_no",
        "bank",
        "enterprise",
        "disbursement_date",
        "maturity_date",
        "principal",
        "annual_rate",
    )
    list_filter = ("bank", "program_version__program")
    search_fields = ("contract_no", "enterprise__name", "enterprise__credit_code")
    autocomplete_fields = ("enterprise",)


@admin.register(Repayment, InterestSettlement, OverdueEvent)
class LoanRecordAdmin(admin.ModelAdmin):
    list_display = ("__str__", "created_at", "created_by")
    search_fields = ("loan__contract_no",)
    raw_id_fields = ("loan", "created_by")


class ReadOnlyAdmin(admin.ModelAdmin):
    """Uploads and reports are records of what a bank handed in: shown, never edited here."""

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(RecordUpload)
class RecordUploadAdmin(ReadOnlyAdmin):
    list_display = (
        "uploaded_at",
        "kind",
        "program",
        "bank",
        "original_name",
        "state",
        "row_count",
        "created_count",
    )
    list_filter = ("kind", "state", "program")
    search_fields = ("original_name", "checksum")


@admin.register(UploadedRecord)
class UploadedRecordAdmin(ReadOnlyAdmin):
    list_display = ("upload", "kind", "object_id")
    list_filter = ("kind",)
    raw_id_fields = ("upload",)


@admin.register(PostLoanReport)
class PostLoanReportAdmin(ReadOnlyAdmin):
    list_display = ("loan", "year", "quarter", "status", "filed_by", "filed_at")
    list_filter = ("year", "quarter", "status")
    raw_id_fields = ("loan", "filed_by")


@admin.register(LoanDocument)
class LoanDocumentAdmin(ReadOnlyAdmin):
    list_display = ("loan", "kind", "original_name", "uploaded_by", "uploaded_at")
    list_filter = ("kind",)
    raw_id_fields = ("loan", "uploaded_by")


@admin.register(MaturityReminder)
class MaturityReminderAdmin(ReadOnlyAdmin):
    """第十条 到期提示, written once per loan and maturity by `loan_maturity_reminders`; for reading only."""

    list_display = ("loan", "maturity_date", "outstanding", "days_before", "sent_on")
    list_filter = ("sent_on",)
    raw_id_fields = ("loan",)
