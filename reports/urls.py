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
    # Issue 18 (item 6): the bureau's enterprise directory.
    path("reports/enterprises/", views.enterprise_list, name="enterprise-list"),
    path("reports/enterprises/<uuid:public_id>/", views.enterprise_page, name="enterprise-page"),
    path("reports/annex4/<slug:scope>/<uuid:public_id>/", views.annex4_zip, name="annex4-zip"),
]
