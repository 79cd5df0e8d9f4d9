from django.urls import path

from programs.changjiang import views

app_name = "changjiang"

urlpatterns = [
    path("changjiang/credit-plan/", views.credit_plan, name="credit-plan"),
    path("changjiang/credit-plan/export/", views.credit_plan_export, name="credit-plan-export"),
    path("changjiang/recovery/", views.recovery_cases, name="recovery-cases"),
    path("changjiang/recovery/<uuid:public_id>/", views.recovery_case, name="recovery-case"),
    path(
        "changjiang/recovery/<uuid:public_id>/service-unit/",
        views.recovery_case_service_unit,
        name="recovery-case-service-unit",
    ),
    path(
        "changjiang/recovery/<uuid:public_id>/close/",
        views.recovery_case_close,
        name="recovery-case-close",
    ),
    path(
        "changjiang/recovery/documents/<uuid:public_id>/",
        views.recovery_document,
        name="recovery-document",
    ),
    path("changjiang/province/", views.provincial_reports, name="provincial-reports"),
    path(
        "changjiang/province/<uuid:public_id>/sent/",
        views.provincial_report_sent,
        name="provincial-report-sent",
    ),
    path(
        "changjiang/province/<uuid:public_id>/<str:fmt>/",
        views.provincial_report_file,
        name="provincial-report-file",
    ),
]
