from django.contrib import admin

from compensation.models import (
    BudgetChange,
    Claim,
    ClaimMaterial,
    ClaimOpinion,
    CompensationBudget,
    Decision,
    DecisionReversal,
    LegalCost,
    Payment,
    Recovery,
    RecoveryAgreement,
    ShareReturn,
    WriteOff,
)
from kedaitong.admin_base import ReadOnlyAdmin


@admin.register(Claim)
class ClaimAdmin(ReadOnlyAdmin):
    list_display = ("reference", "bank", "loan", "state", "requested_amount", "created_at")
    list_filter = ("state", "bank")


@admin.register(ClaimOpinion)
class ClaimOpinionAdmin(ReadOnlyAdmin):
    """The bureau's drafts and signatures (第十一条 2(2)), made only on the review page."""

    list_display = ("claim", "version", "recommendation", "amount", "handler", "head", "signed_at")
    list_filter = ("recommendation",)


@admin.register(CompensationBudget)
class CompensationBudgetAdmin(ReadOnlyAdmin):
    list_display = ("program", "year", "amount", "committed")


@admin.register(Recovery)
class RecoveryAdmin(ReadOnlyAdmin):
    list_display = (
        "claim",
        "received_on",
        "gross",
        "costs",
        "net",
        "share",
        "returned",
        "reverses",
    )


@admin.register(
    ClaimMaterial,
    Decision,
    DecisionReversal,
    Payment,
    RecoveryAgreement,
    LegalCost,
    ShareReturn,
    WriteOff,
    BudgetChange,
)
class CompensationRecordAdmin(ReadOnlyAdmin):
    """Materials, decisions, payments, agreements, costs, returns and write-offs, for reading only."""
