from django.urls import path

from compensation import views

app_name = "compensation"
C = "compensation/claims/<uuid:public_id>/"
urlpatterns = [
    path("compensation/claims/", views.claim_list, name="claim-list"),
    path("compensation/claims/new/", views.claim_create, name="claim-create"),
    path(C, views.claim_detail, name="claim-detail"),
    path(C + "form.pdf", views.claim_pdf, name="claim-pdf"),
    path(C + "materials/", views.material_upload, name="material-upload"),
    path(C + "materials/<int:pk>/", views.material_download, name="material-download"),
    path(C + "submit/", views.claim_submit, name="claim-submit"),
    path(C + "withdraw/", views.claim_withdraw, name="claim-withdraw"),
    path(C + "review/", views.claim_review, name="claim-review"),
    path(C + "decide/", views.claim_decide, name="claim-decide"),
    path(C + "revoke/", views.decision_revoke, name="decision-revoke"),
    path(C + "pay/", views.claim_pay, name="claim-pay"),
    path(C + "pay/reverse/", views.payment_reverse, name="payment-reverse"),
    path(C + "agreement/", views.agreement_record, name="agreement-record"),
    path(C + "agreement/file/", views.agreement_file, name="agreement-file"),
    path(C + "recoveries/new/", views.recovery_create, name="recovery-create"),
    path(C + "write-off/", views.writeoff_record, name="writeoff-record"),
    path(C + "write-off/certificate/", views.writeoff_certificate, name="writeoff-certificate"),
    path(C + "write-off/file/", views.writeoff_file, name="writeoff-file"),
    path(C + "close/", views.claim_close, name="claim-close"),
    path("compensation/recoveries/", views.recovery_list, name="recovery-list"),
    path("compensation/recoveries/export.xlsx", views.recovery_export, name="recovery-export"),
    path(
        "compensation/recoveries/<int:pk>/reverse/", views.recovery_reverse, name="recovery-reverse"
    ),
    path(
        "compensation/recoveries/<int:pk>/returns/new/", views.return_create, name="return-create"
    ),
    path("compensation/costs/<int:pk>/receipt/", views.cost_receipt, name="cost-receipt"),
    path("compensation/returns/<int:pk>/confirm/", views.return_confirm, name="return-confirm"),
    path("compensation/returns/<int:pk>/reverse/", views.return_reverse, name="return-reverse"),
    path("compensation/ledger/", views.ledger, name="ledger"),
    path("compensation/ledger/export.xlsx", views.ledger_export, name="ledger-export"),
    path("compensation/budgets/", views.budget_list, name="budget-list"),
    path("compensation/budgets/export.xlsx", views.budget_export, name="budget-export"),
    path("compensation/reconciliation/<slug:code>/", views.reconciliation, name="reconciliation"),
    path(
        "compensation/reconciliation/<slug:code>/reconciliation.pdf",
        views.reconciliation_pdf,
        name="reconciliation-pdf",
    ),
    path(
        "compensation/reconciliation/<slug:code>/reconciliation.xlsx",
        views.reconciliation_export,
        name="reconciliation-export",
    ),
]
