from django.contrib import admin, messages
from django.contrib.admin.utils import unquote

from applications.models import Program, ProgramVersion
from kedaitong.admin_base import ReadOnlyAdmin
from kedaitong.reference_io import ReferenceAdmin
from loans.models import InterestSettlement, Loan, OverdueEvent, Repayment
from subsidy import guards
from subsidy.models import (
    BankFiling,
    BankPayment,
    Complaint,
    FilingOpinion,
    FlagMismatch,
    FraudRecord,
    LPRRate,
    RunObjection,
    SubsidyExclusion,
    SubsidyLine,
    SubsidyRun,
)
from subsidy.resources import LPRResource


class FrozenInputsAdmin:
    """Records an audited run was computed from (subsidy/guards.py): shown read-only, with the reason."""

    def has_change_permission(self, request, obj=None):
        if obj is not None and guards.frozen_reason(obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and guards.frozen_reason(obj):
            return False
        return super().has_delete_permission(request, obj)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        if obj is not None and (reason := guards.frozen_reason(obj)):
            messages.warning(request, reason)
        return super().change_view(request, object_id, form_url, extra_context)


def guarded_form(form_class):
    """`form_class` whose validation runs the frozen-inputs check: a refused change is a form error, not a 500."""

    class Guarded(form_class):
        def _post_clean(self) -> None:
            super()._post_clean()
            if self.errors:
                return
            try:
                guards.check_instance(self.instance)
            except guards.InputFrozen as exc:
                self.add_error(None, exc.messages[0])

    Guarded.__name__ = f"Frozen{form_class.__name__}"
    return Guarded


def freeze_admin(model) -> None:
    """Give the admin another app registered for `model` the read-only behaviour of frozen inputs.

    loans/admin.py is imported before this module (INSTALLED_APPS order), so the
    registration exists; its class gets FrozenInputsAdmin in front.
    """
    model_admin = admin.site._registry.get(model)
    if model_admin is not None and not isinstance(model_admin, FrozenInputsAdmin):
        base = type(model_admin)
        model_admin.__class__ = type(f"Frozen{base.__name__}", (FrozenInputsAdmin, base), {})
        model_admin.form = guarded_form(model_admin.form)


def freeze_version_admin() -> None:
    """The subsidy parameters of a version with loans in an audited run: a form error on its page and inline."""
    version_admin = admin.site._registry.get(ProgramVersion)
    if version_admin is not None:
        version_admin.form = guarded_form(version_admin.form)
    program_admin = admin.site._registry.get(Program)
    for inline in getattr(program_admin, "inlines", []):
        if inline.model is ProgramVersion and not inline.form.__name__.startswith("Frozen"):
            inline.form = guarded_form(inline.form)


freeze_admin(Loan)
freeze_admin(InterestSettlement)
freeze_admin(Repayment)
freeze_admin(OverdueEvent)
freeze_version_admin()


@admin.register(LPRRate)
class LPRRateAdmin(FrozenInputsAdmin, ReferenceAdmin):
    resource_classes = [LPRResource]
    list_display = ("effective_date", "one_year", "five_year", "source")
    date_hierarchy = "effective_date"


LPRRateAdmin.form = guarded_form(LPRRateAdmin.form)


@admin.register(SubsidyRun)
class SubsidyRunAdmin(ReadOnlyAdmin):
    list_display = (
        "program",
        "year",
        "state",
        "budget",
        "total",
        "cutoff",
        "publicity_start",
        "publicity_end",
        "document_no",
    )
    list_filter = ("program", "state")


@admin.register(RunObjection)
class RunObjectionAdmin(ReadOnlyAdmin):
    list_display = ("run", "name", "submitted_at", "ruling", "ruled_at")
    list_filter = ("ruling",)


@admin.register(BankFiling)
class BankFilingAdmin(ReadOnlyAdmin):
    list_display = ("bank", "program", "state", "submitted_at", "decided_at")


@admin.register(FraudRecord)
class FraudRecordAdmin(ReadOnlyAdmin):
    list_display = ("program", "bank", "enterprise", "found_on")


@admin.register(Complaint)
class ComplaintAdmin(ReadOnlyAdmin):
    list_display = ("agreement", "received_on", "complainant")


@admin.register(
    FilingOpinion,
    SubsidyLine,
    SubsidyExclusion,
    FlagMismatch,
    BankPayment,
)
class SubsidyRecordAdmin(ReadOnlyAdmin):
    """The lines, opinions and payments of runs and filings, for reading only (the settlement links have a
    composite key, which Django 5.2's admin cannot register)."""
