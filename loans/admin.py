from django.contrib import admin

from loans.models import Bank, BankAgreement, InterestSettlement, Loan, OverdueEvent, Repayment


class BankAgreementInline(admin.TabularInline):
    model = BankAgreement
    extra = 0


@admin.register(Bank)
class BankAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "contact_name", "contact_phone")
    search_fields = ("code", "name")
    inlines = [BankAgreementInline]


@admin.register(BankAgreement)
class BankAgreementAdmin(admin.ModelAdmin):
    list_display = ("bank", "program", "number", "starts_on", "ends_on", "status")
    list_filter = ("program", "status")


@admin.register(Loan)
class LoanAdmin(admin.ModelAdmin):
    list_display = ("contract_no", "bank", "enterprise", "disbursement_date", "maturity_date", "principal", "annual_rate")
    list_filter = ("bank", "program_version__program")
    search_fields = ("contract_no", "enterprise__name", "enterprise__credit_code")
    autocomplete_fields = ("enterprise",)


@admin.register(Repayment, InterestSettlement, OverdueEvent)
class LoanRecordAdmin(admin.ModelAdmin):
    list_display = ("__str__", "created_at", "created_by")
    search_fields = ("loan__contract_no",)
    raw_id_fields = ("loan", "created_by")
