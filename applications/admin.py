from django.contrib import admin

from applications.models import (
    AccountClaim,
    AnnualFigure,
    Application,
    Enterprise,
    Material,
    MaterialType,
    Patent,
    ProductType,
    Program,
    ProgramListing,
    ProgramVersion,
    Qualification,
    QuzhouDetails,
    ReferenceCounter,
    RegistrationPlace,
    TeamMember,
    TechField,
)
from applications.resources import ProgramListingResource, RegistrationPlaceResource
from kedaitong.admin_base import ReadOnlyAdmin
from kedaitong.reference_io import ReferenceAdmin


class ProgramVersionInline(admin.StackedInline):
    model = ProgramVersion
    extra = 0


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "region", "reference_prefix")
    inlines = [ProgramVersionInline]


@admin.register(ReferenceCounter)
class ReferenceCounterAdmin(ReadOnlyAdmin):
    """Read-only: the counters move only by submissions (a number changed by hand would leave a gap or repeat)."""

    list_display = ("program", "year", "last")


@admin.register(ProgramVersion)
class ProgramVersionAdmin(admin.ModelAdmin):
    list_display = (
        "program",
        "code",
        "document_no",
        "effective_from",
        "effective_to",
        "max_amount",
    )
    list_filter = ("program",)


@admin.register(ProductType, TechField)
class OrderedListAdmin(admin.ModelAdmin):
    list_display = ("order", "code", "name")


@admin.register(MaterialType)
class MaterialTypeAdmin(admin.ModelAdmin):
    list_display = ("program", "number", "name", "required")
    list_filter = ("program",)


@admin.register(RegistrationPlace)
class RegistrationPlaceAdmin(ReferenceAdmin):
    resource_classes = [RegistrationPlaceResource]
    list_display = ("program", "order", "code", "name")


@admin.register(Enterprise)
class EnterpriseAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "credit_code",
        "registered_region",
        "industry",
        "employees",
        "account_confirmed_at",
    )
    search_fields = ("name", "credit_code")
    list_filter = ("industry",)
    # Confirmation comes from the bureau's decision or a bank's invitation, with its audit row.
    readonly_fields = ("account_confirmed_at", "account_confirmed_by")


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    list_display = (
        "reference",
        "enterprise",
        "program_version",
        "bank",
        "amount",
        "state",
        "submitted_at",
    )
    list_filter = ("state", "program_version__program")
    # A version prints its program's name: without this each row of the list costs one more query.
    list_select_related = ("enterprise", "bank", "program_version__program")
    search_fields = ("reference", "enterprise__name", "enterprise__credit_code")
    readonly_fields = ("state", "amount", "submitted_pdf_sha256")
    autocomplete_fields = ("enterprise",)


@admin.register(ProgramListing)
class ProgramListingAdmin(ReferenceAdmin):
    resource_classes = [ProgramListingResource]
    list_display = (
        "program",
        "credit_code",
        "name",
        "registration_place",
        "listed_on",
        "delisted_on",
    )
    list_filter = ("program",)
    search_fields = ("credit_code", "name")


@admin.register(Qualification)
class QualificationAdmin(admin.ModelAdmin):
    list_display = ("enterprise", "kind", "number", "name", "year", "valid_until", "level")
    list_filter = ("kind",)
    search_fields = ("enterprise__name", "number", "name")


@admin.register(Patent)
class PatentAdmin(admin.ModelAdmin):
    list_display = ("enterprise", "number", "title")
    search_fields = ("enterprise__name", "number")


@admin.register(AnnualFigure)
class AnnualFigureAdmin(admin.ModelAdmin):
    list_display = ("enterprise", "year", "revenue", "profit")


@admin.register(Material)
class MaterialAdmin(admin.ModelAdmin):
    list_display = ("application", "material_type", "original_name", "size", "uploaded_at")
    readonly_fields = (
        "application",
        "material_type",
        "file",
        "original_name",
        "content_type",
        "size",
        "uploaded_by",
    )


@admin.register(QuzhouDetails)
class QuzhouDetailsAdmin(admin.ModelAdmin):
    list_display = ("application", "project_name")


@admin.register(TeamMember)
class TeamMemberAdmin(admin.ModelAdmin):
    list_display = ("application", "name", "employer", "title")


@admin.register(AccountClaim)
class AccountClaimAdmin(admin.ModelAdmin):
    """Read-only: claims are filed by their claimants and decided by the bureau on its pages (issue 17)."""

    list_display = ("enterprise", "kind", "claimant", "program", "state", "filed_at", "decided_by")
    list_filter = ("kind", "state", "program")
    search_fields = ("enterprise__name", "enterprise__credit_code", "claimant__username")

    def get_readonly_fields(self, request, obj=None):  # type: ignore[no-untyped-def]
        return [f.name for f in AccountClaim._meta.fields]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
