"""The admin site has a page for every model of the portal's apps, and each opens for the admin."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin

PORTAL_APPS = ("kedaitong", "applications", "review", "loans", "compensation", "subsidy", "reports")


def portal_models():
    return [m for m in apps.get_models() if m._meta.app_label in PORTAL_APPS]


def listable(model) -> bool:
    """Django 5.2's admin refuses a model with a composite primary key (the subsidy's settlement links)."""
    return not model._meta.is_composite_pk


def test_every_model_is_in_the_admin():
    missing = [
        m._meta.label for m in portal_models() if listable(m) and not admin.site.is_registered(m)
    ]
    assert not missing, f"register in the app's admin.py: {missing}"
    assert [m._meta.label for m in portal_models() if not listable(m)] == [
        "subsidy.SubsidizedSettlement"
    ]


@pytest.mark.django_db
def test_every_admin_list_opens(client, cast):
    client.force_login(cast.admin)
    for model in filter(listable, portal_models()):
        url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        assert client.get(url).status_code == 200, url


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["application", "loan"])
def test_the_long_admin_lists_make_the_same_queries_at_any_length(client, cast, kind):
    """The applications and loans lists run to 100,000 rows: a row must not cost a query of its own
    (each version prints its program's name). The benchmark's anchor is this list (docs/benchmarks.md)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import ApplicationFactory, LoanFactory

    factory = ApplicationFactory if kind == "application" else LoanFactory
    app_label = "applications" if kind == "application" else "loans"
    url = f"/admin/{app_label}/{kind}/"
    client.force_login(cast.admin)
    factory.create_batch(2)
    with CaptureQueriesContext(connection) as few:
        response = client.get(url)
    assert response.status_code == 200
    factory.create_batch(12)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert response.status_code == 200
    model = factory._meta.model
    assert response.context["cl"].result_count == model.objects.count() >= 14
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
