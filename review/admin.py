from django.contrib import admin

from kedaitong.admin_base import ReadOnlyAdmin
from review.models import (
    BankDecision,
    BlacklistEntry,
    Meeting,
    MeetingDecision,
    Notification,
    Objection,
    Opinion,
    PublicityBatch,
    PublicityEntry,
)


@admin.register(BlacklistEntry)
class BlacklistEntryAdmin(admin.ModelAdmin):
    list_display = ("enterprise", "reason", "status", "proposed_at", "listed_at")
    list_filter = ("reason", "status")
    search_fields = ("enterprise__name", "enterprise__credit_code")
    raw_id_fields = ("enterprise", "loan", "listed_by")


@admin.register(Opinion)
class OpinionAdmin(ReadOnlyAdmin):
    list_display = (
        "application",
        "kind",
        "recommendation",
        "handler",
        "head",
        "signed_at",
        "created_at",
    )
    list_filter = ("kind",)
    list_select_related = ("application__enterprise", "handler", "head")


@admin.register(Meeting)
class MeetingAdmin(ReadOnlyAdmin):
    list_display = ("date", "program", "created_by")


@admin.register(MeetingDecision)
class MeetingDecisionAdmin(ReadOnlyAdmin):
    list_display = ("meeting", "application", "recommended", "recommended_amount")
    list_select_related = ("meeting", "application__enterprise")


@admin.register(BankDecision)
class BankDecisionAdmin(ReadOnlyAdmin):
    list_display = (
        "application",
        "approved",
        "credit_amount",
        "annual_rate",
        "term_months",
        "decided_at",
    )
    list_select_related = ("application__enterprise",)


@admin.register(PublicityBatch)
class PublicityBatchAdmin(ReadOnlyAdmin):
    list_display = ("program", "start_date", "end_date", "closed_at")


@admin.register(PublicityEntry)
class PublicityEntryAdmin(ReadOnlyAdmin):
    list_display = ("batch", "application", "credit_amount")
    list_select_related = ("batch", "application__enterprise")


@admin.register(Objection)
class ObjectionAdmin(ReadOnlyAdmin):
    list_display = ("entry", "name", "ruling", "submitted_at", "ruled_at")
    list_filter = ("ruling",)
    list_select_related = ("entry__batch", "entry__application__enterprise")


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("user", "message", "created_at", "read_at")
    list_select_related = ("user",)
