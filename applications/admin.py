from django.contrib import admin

from applications.models import (
    Application,
    Enterprise,
    MaterialType,
    ProductType,
    Program,
    ProgramListing,
    ProgramVersion,
    RegistrationPlace,
    TechField,
)


class ProgramVersionInline(admin.StackedInline):
    model = ProgramVersion
    extra = 0


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "region")
    inlines = [ProgramVersionInline]


@admin.register(ProgramVersion)
class ProgramVersionAdmin(admin.ModelAdmin):
    list_display = ("program", "code", "document_no", "effective_from", "effective_to", "max_amount")
    list_filter = ("program",)


@admin.register(ProductType, TechField)
class OrderedListAdmin(admin.ModelAdmin):
    list_display = ("order", "code", "name")


@admin.register(MaterialType)
class MaterialTypeAdmin(admin.ModelAdmin):
    list_display = ("program", "number", "name", "required")
    list_filter = ("program",)


@admin.register(RegistrationPlace)
class RegistrationPlaceAdmin(admin.ModelAdmin):
    list_display = ("program", "order", "code", "name")


@admin.register(Enterprise)
class EnterpriseAdmin(admin.ModelAdmin):
    list_display = ("name", "credit_code", "registered_region", "industry", "employees")
    search_fields = ("name", "credit_code")
    list_filter = ("industry",)


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    list_display = ("reference", "enterprise", "program_version", "bank", "amount", "state", "submitted_at")
    list_filter = ("state", "program_version__program")
    search_fields = ("reference", "enterprise__name", "enterprise__credit_code")
    readonly_fields = ("state",)
    autocomplete_fields = ("enterprise",)


@admin.register(ProgramListing)
class ProgramListingAdmin(admin.ModelAdmin):
    list_display = ("program", "credit_code", "name", "registration_place", "listed_on", "delisted_on")
    list_filter = ("program",)
    search_fields = ("credit_code", "name")
