from django.urls import path

from review import views

app_name = "review"
urlpatterns = [
    path("review/queue/", views.queue, name="queue"),
    path(
        "review/applications/<uuid:public_id>/", views.application_review, name="application-review"
    ),
    path(
        "review/applications/<uuid:public_id>/act/", views.application_act, name="application-act"
    ),
    path(
        "review/applications/<uuid:public_id>/withdraw/",
        views.application_withdraw,
        name="application-withdraw",
    ),
    path(
        "review/applications/<uuid:public_id>/bank-material/",
        views.bank_material,
        name="bank-material",
    ),
    path(
        "review/applications/<uuid:public_id>/approval-letter/",
        views.bank_letter,
        name="bank-letter",
    ),
    path(
        "review/applications/<uuid:public_id>/history.xlsx",
        views.history_export,
        name="history-export",
    ),
    path("review/meetings/", views.meeting_list, name="meeting-list"),
    path("review/meetings/new/", views.meeting_new, name="meeting-new"),
    path("review/meetings/<uuid:public_id>/", views.meeting_detail, name="meeting-detail"),
    path("review/publicity/", views.publicity_manage, name="publicity-manage"),
    path("review/publicity/<uuid:public_id>/", views.publicity_batch, name="publicity-batch"),
    path("review/publicity/<uuid:public_id>/close/", views.publicity_close, name="publicity-close"),
    path("review/objections/<uuid:public_id>/rule/", views.objection_rule, name="objection-rule"),
    path("review/objections/<uuid:public_id>/file/", views.objection_file, name="objection-file"),
    path("review/blacklist/", views.blacklist, name="blacklist"),
    path(
        "review/blacklist/propose/<uuid:public_id>/",
        views.blacklist_propose,
        name="blacklist-propose",
    ),
    path(
        "review/blacklist/<uuid:public_id>/decide/", views.blacklist_decide, name="blacklist-decide"
    ),
    path(
        "review/blacklist/<uuid:public_id>/evidence/",
        views.blacklist_evidence,
        name="blacklist-evidence",
    ),
    path("review/inbox/", views.inbox, name="inbox"),
    path("publicity/", views.public_publicity, name="public-publicity"),
    path("publicity/<uuid:public_id>/", views.public_batch, name="public-batch"),
    path(
        "publicity/entries/<uuid:public_id>/object/",
        views.public_objection,
        name="public-objection",
    ),
]
