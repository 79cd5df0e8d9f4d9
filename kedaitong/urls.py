"""URLs of the portal; each app keeps its own under its namespace."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from api.v1 import api as bank_api
from kedaitong import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz/", views.healthz, name="healthz"),
    # Printed as a QR code on every PDF the portal issues (kedaitong/verification.py).
    path("verify/<slug:code>/", views.verify_document, name="verify-document"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    # Each app's URLs carry their own first path segment (enterprises/, applications/,
    # review/, publicity/, banks/, loans/, imports/, compensation/, subsidy/ ...).
    path("", include("applications.urls")),
    path("", include("review.urls")),
    path("", include("loans.urls")),
    path("", include("compensation.urls")),
    path("", include("subsidy.urls")),
    path("", include("reports.urls")),
    path("", include("api.urls")),
    path("api/v1/", bank_api.urls),
    path("jobs/<uuid:public_id>/", views.job_detail, name="job-detail"),
    path("jobs/<uuid:public_id>/download/", views.job_download, name="job-download"),
    path("admin/", admin.site.urls),
]
