"""The admin site has a page for every model of the portal's apps, and each opens for the admin."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin

PORTAL_APPS = ("kedaitong", "applications", "review", "loans", "compensation", "subsidy", "reports")


def portal_models():
    return [m for m in apps.get_models() if m._meta.app_label in PORTAL_APPS]


def test_every_model_is_in_the_admin():
    missing = [m._meta.label for m in portal_models() if not admin.site.is_registered(m)]
    assert not missing, f"register in the app's admin.py: {missing}"


@pytest.mark.django_db
def test_every_admin_list_opens(client, cast):
    client.force_login(cast.admin)
    for model in portal_models():
        url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        assert client.get(url).status_code == 200, url
