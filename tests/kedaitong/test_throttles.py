"""Throttles (kedaitong/throttle.py, django-ratelimit) on registration, password reset and logins.

Each answers with the Chinese 429 page before the view runs: nothing saved, no
e-mail sent. They count per client address (kedaitong/client.py), so behind the
proxy two clients have two counts and a forged X-Forwarded-For without it does
not reset one. The objection forms' throttle is tested in tests/review/test_throttle.py.
"""

from __future__ import annotations

import threading

import pytest
from django.conf import settings
from django.core import mail
from django.core.cache import caches
from django.db import connection
from django.test import Client, override_settings

from kedaitong.models import User
from kedaitong.roles import Role
from tests.factories import UserFactory, credit_code

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery"


@pytest.fixture(autouse=True)
def _empty_cache(settings):
    caches[settings.RATELIMIT_USE_CACHE].clear()
    yield
    caches[settings.RATELIMIT_USE_CACHE].clear()


def registration(n: int) -> dict[str, str]:
    return {
        "credit_code": credit_code(700 + n),
        "name": f"丙新材料有限公司{n}",
        "display_name": "赵六",
        "email": f"new{n}@example.invalid",
        "username": f"new-user-{n}",
        "password1": "Kedaitong-test-2026",
        "password2": "Kedaitong-test-2026",
    }


def assert_chinese_429(response) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 429
    page = response.content.decode()
    assert "请求过于频繁" in page and "没有保存任何内容" in page


def test_twelve_registrations_from_one_address_stop_at_the_limit(settings):
    settings.THROTTLE_RATES = settings.THROTTLE_RATES | {"register": "10/h"}
    statuses = []
    for n in range(12):
        response = Client(REMOTE_ADDR="203.0.113.9").post("/enterprise/register/", registration(n))
        statuses.append(response.status_code)
    assert statuses == [302] * 10 + [429] * 2
    assert_chinese_429(response)
    assert User.objects.filter(username__startswith="new-user-").count() == 10
    # Another address has its own count.
    other = Client(REMOTE_ADDR="198.51.100.3").post("/enterprise/register/", registration(20))
    assert other.status_code == 302


@override_settings(BEHIND_PROXY=True)
def test_behind_the_proxy_each_client_has_its_own_count(settings):
    settings.THROTTLE_RATES = settings.THROTTLE_RATES | {"register": "2/h"}

    def post(n: int, client_address: str) -> int:
        return (
            Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=client_address)
            .post("/enterprise/register/", registration(n))
            .status_code
        )

    assert [post(n, "203.0.113.1") for n in range(3)] == [302, 302, 429]
    assert post(3, "203.0.113.2") == 302  # the proxy's address (10.0.0.2) is not the key


def test_without_the_proxy_a_forged_forwarded_for_does_not_reset_the_count(settings):
    settings.THROTTLE_RATES = settings.THROTTLE_RATES | {"register": "2/h"}
    statuses = [
        Client(REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
        .post("/enterprise/register/", registration(n))
        .status_code
        for n in range(3)
    ]
    assert statuses == [302, 302, 429]


def test_thirty_resets_for_one_address_send_three_e_mails(settings):
    UserFactory(username="clerk", role=Role.BUREAU_STAFF, email="clerk@example.invalid")
    statuses = [
        Client(REMOTE_ADDR=f"198.51.100.{i}")
        .post("/accounts/password_reset/", {"email": "Clerk@Example.invalid "})
        .status_code
        for i in range(30)
    ]
    assert statuses == [302] * 3 + [429] * 27
    assert len(mail.outbox) == 3
    assert {m.to[0] for m in mail.outbox} == {"clerk@example.invalid"}


def test_resets_from_one_address_are_throttled_whatever_the_e_mail(settings):
    settings.THROTTLE_RATES = settings.THROTTLE_RATES | {"password-reset": "10/h"}
    client = Client(REMOTE_ADDR="203.0.113.9")
    statuses = [
        client.post("/accounts/password_reset/", {"email": f"x{i}@example.invalid"}).status_code
        for i in range(11)
    ]
    assert statuses == [302] * 10 + [429]
    assert_chinese_429(client.post("/accounts/password_reset/", {"email": "y@example.invalid"}))
    assert client.get("/accounts/password_reset/").status_code == 200  # only posts count


def test_an_address_that_keeps_failing_logins_is_throttled_whatever_names_it_tries(settings):
    settings.THROTTLE_RATES = settings.THROTTLE_RATES | {"login": "4/h"}
    UserFactory(username="clerk", role=Role.BUREAU_STAFF)
    guesser = Client(REMOTE_ADDR="203.0.113.66")
    statuses = [
        guesser.post("/accounts/login/", {"username": f"user{i}", "password": "wrong"}).status_code
        for i in range(5)
    ]
    assert statuses == [200] * 4 + [429]
    assert_chinese_429(
        guesser.post("/accounts/login/", {"username": "clerk", "password": PASSWORD})
    )
    # The clerk, from the office's own address, logs in; a success costs nothing there.
    office = Client(REMOTE_ADDR="198.51.100.10")
    for _ in range(6):
        assert (
            office.post("/accounts/login/", {"username": "clerk", "password": PASSWORD}).status_code
            == 302
        )
        office.post("/accounts/logout/")


def test_the_atomic_increment_keeps_the_expiry_and_refuses_a_missing_key():
    cache = caches["default"]

    def expires() -> object:
        with connection.cursor() as cursor:
            cursor.execute("SELECT expires FROM kedaitong_cache WHERE cache_key LIKE %s", ["%:n"])
            return cursor.fetchone()[0]

    cache.add("n", 0, 3600)
    before = expires()
    assert cache.incr("n") == 1 and cache.incr("n", 5) == 6 and cache.decr("n") == 5
    assert expires() == before  # Django's own incr would have reset it to the default 300 s
    assert cache.get("n") == 5
    with pytest.raises(ValueError):
        cache.incr("missing")


@pytest.mark.postgres
# Skip before any database fixture runs: a transactional test's flush is not always undone for the next one.
@pytest.mark.skipif(
    not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"), reason="needs PostgreSQL"
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_increments_are_all_counted():
    """Twenty threads increment one key ten times each: the database cache ends at exactly 200."""
    cache = caches["default"]
    cache.add("race", 0, 3600)
    barrier = threading.Barrier(20)

    def work() -> None:
        from django.db import connection as own

        barrier.wait()
        try:
            for _ in range(10):
                cache.incr("race")
        finally:
            own.close()

    threads = [threading.Thread(target=work) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert cache.get("race") == 200
