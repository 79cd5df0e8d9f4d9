"""The objection throttle counts in the shared cache, per sender address; the review's settings from the environment."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test import Client, override_settings
from django.utils import timezone

from applications.models import Application
from review import services
from review.models import Objection, PublicityEntry
from tests.kedaitong.test_settings import run_manage
from tests.review.helpers import to_bureau_review, to_publicity

pytestmark = pytest.mark.django_db


@pytest.fixture
def objection_url(cast):
    cache.clear()
    to_publicity(cast)
    batch = services.publicity_batch_create(
        actor=cast.bureau_staff, program=cast.changjiang, start_date=timezone.localdate()
    )
    yield f"/publicity/entries/{PublicityEntry.objects.get(batch=batch).public_id}/object/"
    cache.clear()


def post(client: Client, url: str, i: int, **extra: str) -> int:
    return client.post(
        url, {"name": "张三", "contact": "138", "reason": f"理由{i}"}, **extra
    ).status_code


def test_the_cache_is_the_database_shared_by_every_process():
    assert settings.CACHES["default"]["BACKEND"] == "kedaitong.cache.AtomicDatabaseCache"
    assert (
        settings.CACHES["default"]["LOCATION"] in connection.introspection.table_names()
    )  # made by a migration


def test_the_limit_holds_across_two_clients(objection_url):
    first, second = Client(REMOTE_ADDR="203.0.113.7"), Client(REMOTE_ADDR="203.0.113.7")
    statuses = [
        post(first, objection_url, 1),
        post(second, objection_url, 2),
        post(first, objection_url, 3),
        post(second, objection_url, 4),
        post(first, objection_url, 5),
        post(second, objection_url, 6),
    ]
    assert statuses == [200] * 5 + [429]
    assert Objection.objects.count() == 5
    with (
        connection.cursor() as cursor
    ):  # the count lives in the database, where other processes read it too
        cursor.execute(f"SELECT COUNT(*) FROM {settings.CACHES['default']['LOCATION']}")
        assert cursor.fetchone()[0] >= 1
    assert (
        post(Client(REMOTE_ADDR="198.51.100.1"), objection_url, 7) == 200
    )  # another address has its own count


def test_forwarded_for_is_ignored_unless_behind_a_proxy(objection_url):
    client = Client(REMOTE_ADDR="10.0.0.2")
    statuses = [
        post(client, objection_url, i, HTTP_X_FORWARDED_FOR=f"192.0.2.{i}") for i in range(6)
    ]
    assert statuses == [200] * 5 + [429]  # a forged header does not reset the count
    assert set(Objection.objects.values_list("ip_address", flat=True)) == {"10.0.0.2"}


@override_settings(BEHIND_PROXY=True)
def test_behind_a_proxy_the_address_it_appended_counts(objection_url):
    proxy = Client(REMOTE_ADDR="10.0.0.2")
    statuses = [
        post(proxy, objection_url, i, HTTP_X_FORWARDED_FOR=f"1.2.3.{i}, 198.51.100.9")
        for i in range(6)
    ]
    assert statuses == [200] * 5 + [429]  # the client-supplied first entries do not matter
    assert post(proxy, objection_url, 9, HTTP_X_FORWARDED_FOR="198.51.100.10") == 200
    assert Objection.objects.filter(ip_address="198.51.100.10").count() == 1


def test_review_overdue_reads_its_days_from_settings(cast):
    application = to_bureau_review(cast)
    Application.objects.filter(pk=cast.application_b.pk).update(
        submitted_at=timezone.now() - dt.timedelta(days=4)
    )
    assert settings.REVIEW_OVERDUE_DAYS == 5
    out = StringIO()
    call_command("review_overdue", stdout=out)
    assert "0 waiting longer than 5 days" in out.getvalue()
    with override_settings(REVIEW_OVERDUE_DAYS=3):
        out = StringIO()
        call_command("review_overdue", stdout=out)
    assert (
        cast.application_b.reference in out.getvalue()
        and application.reference not in out.getvalue()
    )
    assert "1 waiting longer than 3 days" in out.getvalue()


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"REVIEW_OVERDUE_DAYS": "five"}, "REVIEW_OVERDUE_DAYS"),
        ({"REVIEW_OVERDUE_DAYS": "0"}, "REVIEW_OVERDUE_DAYS"),
        ({"CACHE_BACKEND": "filesystem"}, "CACHE_BACKEND"),
        ({"CACHE_BACKEND": "redis"}, "CACHE_LOCATION"),
        ({"BEHIND_PROXY": "perhaps"}, "BEHIND_PROXY"),
    ],
)
def test_a_bad_value_stops_start_up_with_one_line(env, variable):
    result = run_manage("check", **env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and variable in lines[0], result.stderr
