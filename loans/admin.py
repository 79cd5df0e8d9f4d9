from django.contrib import admin

from kedaitong.reference_io import ReferenceAdmin
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
from loans.resources import BankResource


class BankAgreementInline(admin.TabularInline):
    model = BankAgreement
    extra = 0


@admin.register(Bank)
class BankAdmin(ReferenceAdmin):
    resource_classes = [BankResource]
    list_display = ("code", "name", "contact_name", "contact_phone")
    search_fields = ("code", "name")
    inlines = [BankAgreementInline]


@admin.register(BankAgreement)
class BankAgreementAdmin(admin.ModelAdmin):
    list_display = ("bank", "program", "number", "starts_on", "ends_on", "status")
    list_filter = ("program", "status")


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
    list_select_related = ("bank", "enterprise")
    search_fields = ("contract_no", "enterprise__name", "enterprise__credit_code")
    autocomplete_fields = ("enterprise",)


@admin.register(Repayment, InterestSettlement, OverdueEvent)
class LoanRecordAdmin(admin.ModelAdmin):
    list_display = ("__str__", "created_at", "created_by")
    search_fields = ("loan__contract_no",)
    raw_id_fields = ("loan", "created_by")

    def get_form(self, request, obj=None, change=False, **kwargs):  # type: ignore[no-untyped-def]
        form = super().get_form(request, obj, change=change, **kwargs)
        if self.model is InterestSettlement:
            return plausible_interest_form(form)
        return form


def plausible_interest_form(form_class):  # type: ignore[no-untyped-def]
    """The admin's interest form runs the checks of the upload and the bank's form (issue 16 item 3)."""
    from loans.services import INTEREST_FIELDS, interest_facts, interest_problems

    class PlausibleInterest(form_class):  # type: ignore[misc, valid-type]
        def clean(self):  # type: ignore[no-untyped-def]
            data = super().clean()
            loan = data.get("loan")
            needed = ("period_start", "period_end", "amount")
            if loan is None or any(data.get(k) is None for k in needed):
                return data
            facts = interest_facts([loan.pk])[loan.pk]
            if self.instance.pk:  # the row being edited is not "another period"
                mine = (self.instance.period_start, self.instance.period_end)
                for kind in (False, True):
                    facts.periods[kind] = [p for p in facts.periods[kind] if p[:2] != mine]
            for column, message in interest_problems(
                loan=loan,
                period_start=data["period_start"],
                period_end=data["period_end"],
                amount=data["amount"],
                overdue=bool(data.get("is_overdue_interest")),
                facts=facts,
            ):
                self.add_error(INTEREST_FIELDS.get(column) or None, message)
            return data

    PlausibleInterest.__name__ = f"Plausible{form_class.__name__}"
    return PlausibleInterest


class ReadOnlyAdmin(admin.ModelAdmin):
    """Uploads and reports are records of what a bank handed in: shown, never edited here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
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
