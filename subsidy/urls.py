from django.urls import path

from subsidy import filing_views, views

app_name = "subsidy"
urlpatterns = [
    path("subsidy/runs/", views.run_list, name="run-list"),
    path("subsidy/runs/new/", views.run_create, name="run-create"),
    path("subsidy/runs/<int:pk>/", views.run_detail, name="run-detail"),
    path("subsidy/runs/<int:pk>/export.xlsx", views.run_export, name="run-export"),
    path("subsidy/runs/<int:pk>/files/<slug:kind>/", views.run_file, name="run-file"),
    # 四(一)'s stages, in order.
    path("subsidy/runs/<int:pk>/audit/", views.run_audit, name="run-audit"),
    path("subsidy/runs/<int:pk>/review/", views.run_review, name="run-review"),
    path("subsidy/runs/<int:pk>/approve/", views.run_approve, name="run-approve"),
    path("subsidy/runs/<int:pk>/publicize/", views.run_publicize, name="run-publicize"),
    path("subsidy/runs/<int:pk>/issue/", views.run_issue, name="run-issue"),
    path("subsidy/runs/<int:pk>/pay/", views.run_pay, name="run-pay"),
    path("subsidy/runs/<int:pk>/cancel/", views.run_cancel, name="run-cancel"),
    path("subsidy/objections/<uuid:public_id>/rule/", views.objection_rule, name="objection-rule"),
    path("subsidy/objections/<uuid:public_id>/file/", views.objection_file, name="objection-file"),
    path("subsidy/bank/", views.bank_subsidy, name="bank-subsidy"),
    path(
        "subsidy/bank/<int:pk>/export.xlsx", views.bank_subsidy_export, name="bank-subsidy-export"
    ),
    path("subsidy/public/<slug:program>/<int:year>/", views.public_notice, name="public-notice"),
    path(
        "subsidy/public/<slug:program>/<int:year>/object/",
        views.public_objection,
        name="public-objection",
    ),
    path("subsidy/banks/", filing_views.filing_list, name="filing-list"),
    path("subsidy/banks/filings/new/", filing_views.filing_create, name="filing-create"),
    path("subsidy/banks/filings/<int:pk>/", filing_views.filing_detail, name="filing-detail"),
    path(
        "subsidy/banks/filings/<int:pk>/opinion/",
        filing_views.filing_opinion,
        name="filing-opinion",
    ),
    path(
        "subsidy/banks/filings/opinions/<int:pk>/file/",
        filing_views.filing_opinion_file,
        name="filing-opinion-file",
    ),
    path(
        "subsidy/banks/filings/<int:pk>/materials/",
        filing_views.filing_materials,
        name="filing-materials",
    ),
    path(
        "subsidy/banks/agreements/<int:pk>/pdf/", filing_views.agreement_pdf, name="agreement-pdf"
    ),
    path(
        "subsidy/banks/agreements/<int:pk>/renew/",
        filing_views.agreement_renew,
        name="agreement-renew",
    ),
    path(
        "subsidy/banks/agreements/<int:pk>/terminate/",
        filing_views.agreement_terminate,
        name="agreement-terminate",
    ),
    path("subsidy/fraud/", filing_views.fraud_list, name="fraud-list"),
    path("subsidy/lpr/import/", views.lpr_import, name="lpr-import"),
]
