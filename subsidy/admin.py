from django.contrib import admin

from subsidy.models import LPRRate


@admin.register(LPRRate)
class LPRRateAdmin(admin.ModelAdmin):
    list_display = ("effective_date", "one_year", "five_year", "source")
    date_hierarchy = "effective_date"
