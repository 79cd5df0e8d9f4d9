from django.urls import path

from loans import views

app_name = "loans"
urlpatterns = [
    path("banks/", views.bank_list, name="bank-list"),
    path("banks/<slug:code>/", views.bank_detail, name="bank-detail"),
    path("loans/", views.loan_list, name="loan-list"),
    path("loans/new/", views.loan_create, name="loan-create"),
    path("loans/<uuid:public_id>/", views.loan_detail, name="loan-detail"),
    path("loans/<uuid:public_id>/reports/new/", views.report_create, name="report-create"),
    path("loans/<uuid:public_id>/interest/new/", views.interest_create, name="interest-create"),
    path("loans/<uuid:public_id>/documents/new/", views.document_create, name="document-create"),
    path("loans/documents/<uuid:public_id>/file/", views.document_file, name="document-file"),
    path("loans/reports/", views.report_overview, name="report-overview"),
    path("loans/reports/export.xlsx", views.report_export, name="report-export"),
    path("loans/uploads/", views.upload_list, name="upload-list"),
    path("loans/uploads/new/", views.upload_create, name="upload-create"),
    path("loans/uploads/templates/<slug:kind>.xlsx", views.upload_template, name="upload-template"),
    path("loans/uploads/<uuid:public_id>/", views.upload_detail, name="upload-detail"),
    path("loans/uploads/<uuid:public_id>/confirm/", views.upload_confirm, name="upload-confirm"),
    path("loans/uploads/<uuid:public_id>/cancel/", views.upload_cancel, name="upload-cancel"),
    path("loans/uploads/<uuid:public_id>/file/", views.upload_file, name="upload-file"),
]
