from django.urls import path

from applications import views

app_name = "applications"
urlpatterns = [
    path("program/switch/", views.program_switch, name="program-switch"),
    path("enterprise/register/", views.register, name="register"),
    # Issue 17: who an enterprise account really is.
    path("enterprise/account/", views.account, name="account"),
    path("enterprise/account/verify/<str:token>/", views.verify_email, name="verify-email"),
    path("enterprise/account/verify-again/", views.verify_email_resend, name="verify-email-resend"),
    path("enterprise/dispute/", views.dispute, name="dispute"),
    path("enterprise/bank-invitations/", views.bank_invite, name="bank-invite"),
    path("enterprise-claims/", views.claim_list, name="claim-list"),
    path("enterprise-claims/<uuid:public_id>/", views.claim_detail, name="claim-detail"),
    path("enterprise-claims/<uuid:public_id>/decide/", views.claim_decide, name="claim-decide"),
    path(
        "enterprise-claims/<uuid:public_id>/files/<slug:which>/",
        views.claim_file,
        name="claim-file",
    ),
    path("enterprise/profile/", views.profile, name="profile"),
    path("enterprise/colleagues/", views.colleagues, name="colleagues"),
    path("enterprise/qualifications/", views.qualifications, name="qualifications"),
    path(
        "enterprise/qualifications/<uuid:public_id>/delete/",
        views.qualification_delete,
        name="qualification-delete",
    ),
    path(
        "enterprise/qualifications/<uuid:public_id>/evidence/",
        views.qualification_evidence,
        name="qualification-evidence",
    ),
    path("enterprise/patents/", views.patent_add, name="patent-add"),
    path("enterprise/patents/<int:pk>/delete/", views.patent_delete, name="patent-delete"),
    path("enterprise/figures/", views.figure_add, name="figure-add"),
    path("enterprise/figures/<int:pk>/delete/", views.figure_delete, name="figure-delete"),
    path("enterprises/<uuid:public_id>/", views.enterprise_detail, name="enterprise-detail"),
    path("applications/new/<slug:program>/", views.application_create, name="application-create"),
    path("applications/<uuid:public_id>/", views.application_detail, name="application-detail"),
    path("applications/<uuid:public_id>/edit/", views.application_edit, name="application-edit"),
    path(
        "applications/<uuid:public_id>/delete/", views.application_delete, name="application-delete"
    ),
    path(
        "applications/<uuid:public_id>/submit/", views.application_submit, name="application-submit"
    ),
    path("applications/<uuid:public_id>/materials/", views.material_add, name="material-add"),
    path(
        "applications/<uuid:public_id>/materials/<uuid:material_id>/",
        views.material_download,
        name="material-download",
    ),
    path(
        "applications/<uuid:public_id>/materials/<uuid:material_id>/delete/",
        views.material_delete,
        name="material-delete",
    ),
    path("applications/<uuid:public_id>/team/", views.team_add, name="team-add"),
    path(
        "applications/<uuid:public_id>/team/<int:pk>/delete/", views.team_delete, name="team-delete"
    ),
    path("applications/<uuid:public_id>/pdf/<slug:annex>/", views.annex_pdf, name="annex-pdf"),
    path("applications/<uuid:public_id>/submitted.pdf", views.submitted_pdf, name="submitted-pdf"),
]
