from django.urls import path

from reports import views

app_name = "reports"
urlpatterns = [
    path("reports/", views.ledger_index, name="index"),
    path("reports/dashboard/", views.dashboard, name="dashboard"),
    path("reports/statistics/", views.statistics_page, name="statistics"),
    path("reports/statistics/annual/", views.annual_statistics_page, name="annual-statistics"),
    path("reports/ledgers/<slug:code>/", views.ledger_page, name="ledger"),
    path("reports/ledgers/<slug:code>/export/", views.ledger_export, name="ledger-export"),
    path("reports/annex4/<slug:scope>/<uuid:public_id>/", views.annex4_zip, name="annex4-zip"),
]
