from django.contrib import admin

from review.models import BlacklistEntry


@admin.register(BlacklistEntry)
class BlacklistEntryAdmin(admin.ModelAdmin):
    list_display = ("enterprise", "reason", "status", "proposed_at", "listed_at")
    list_filter = ("reason", "status")
    search_fields = ("enterprise__name", "enterprise__credit_code")
    raw_id_fields = ("enterprise", "loan", "listed_by")
