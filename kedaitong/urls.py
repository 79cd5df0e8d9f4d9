"""URLs of the portal; each app keeps its own under its namespace."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from api.v1 import api as bank_api
from kedaitong import views
from kedaitong.throttle import posted, throttle, throttle_failures

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz/", views.healthz, name="healthz"),
    # Printed as a QR code on every PDF the portal issues (kedaitong/verification.py).
    path("verify/<slug:code>/", views.verify_document, name="verify-document"),
    # Failed logins: django-axes locks a user name from one address (AXES_*), and the "login"
    # throttle refuses an address that keeps failing, whatever names it tries.
    path(
        "accounts/login/",
        throttle_failures("login")(auth_views.LoginView.as_view(redirect_authenticated_user=True)),
        name="login",
    ),
    # One e-mail per reset asked: throttled per address and per e-mail address typed.
    path(
        "accounts/password_reset/",
        throttle("password-reset")(
            throttle("password-reset-email", key=posted("email"))(
                auth_views.PasswordResetView.as_view()
            )
        ),
        name="password_reset",
    ),
    # The reset link is also the invitation link; setting a password through it proves the e-mail address.
    path(
        "accounts/reset/<uidb64>/<token>/",
        views.PasswordSetView.as_view(),
        name="password_reset_confirm",
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
    path("", include("programs.changjiang.urls")),
    path("", include("api.urls")),
    path("api/v1/", bank_api.urls),
    path("jobs/<uuid:public_id>/", views.job_detail, name="job-detail"),
    path("jobs/<uuid:public_id>/download/", views.job_download, name="job-download"),
    path("admin/", admin.site.urls),
]

# The admin site's titles in the portal's words (Django's say "Django 站点管理员", issue 18 item 7).
admin.site.site_header = _("Kedaitong administration")
admin.site.site_title = _("Kedaitong administration")
admin.site.index_title = _("Administration")
