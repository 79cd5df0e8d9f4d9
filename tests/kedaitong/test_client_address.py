"""The client's address is worked out once (kedaitong/client.py), with BEHIND_PROXY on and off.

It feeds the audit trail, django-axes and the throttles; these tests go through
real pages and look at the rows each writes.
"""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.test import Client, RequestFactory, override_settings

from applications.models import Application
from kedaitong.client import resolve_client_address
from kedaitong.models import AuditEntry
from kedaitong.roles import Role
from tests.factories import UserFactory

PASSWORD = "correct-horse-battery"


def address(remote: str = "10.0.0.2", forwarded: str | None = None) -> str | None:
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return resolve_client_address(RequestFactory().get("/", REMOTE_ADDR=remote, **extra))


# --- the rule ---------------------------------------------------------------------------------------------------


def test_without_a_proxy_forwarded_for_is_ignored():
    assert address("203.0.113.5", "198.51.100.1") == "203.0.113.5"
    assert address("203.0.113.5") == "203.0.113.5"


@override_settings(BEHIND_PROXY=True, TRUSTED_PROXY_COUNT=1)
def test_behind_one_proxy_the_right_most_entry_is_the_client():
    # The client wrote "1.1.1.1, 2.2.2.2" itself; our proxy appended the address it saw.
    assert address("10.0.0.2", "1.1.1.1, 2.2.2.2, 198.51.100.7") == "198.51.100.7"
    assert address("10.0.0.2", "198.51.100.7") == "198.51.100.7"


@override_settings(BEHIND_PROXY=True, TRUSTED_PROXY_COUNT=2)
def test_behind_two_proxies_the_second_entry_from_the_right_is_the_client():
    # CDN appended the client (198.51.100.7), the load balancer appended the CDN (192.0.2.50).
    assert address("10.0.0.2", "1.1.1.1, 198.51.100.7, 192.0.2.50") == "198.51.100.7"
    # A request that reached the load balancer directly: the one entry it appended.
    assert address("10.0.0.2", "198.51.100.8") == "198.51.100.8"


@override_settings(BEHIND_PROXY=True)
def test_ports_brackets_and_garbage():
    assert address("10.0.0.2", "198.51.100.7:51234") == "198.51.100.7"
    assert address("10.0.0.2", "[2001:db8::7]:443") == "2001:db8::7"
    assert address("10.0.0.2", "2001:DB8::7") == "2001:db8::7"
    # Not an address, or no header: the proxy's own address, never a fresh key for a forger.
    assert address("10.0.0.2", "1.1.1.1, <script>") == "10.0.0.2"
    assert address("10.0.0.2", "") == "10.0.0.2"
    assert address("10.0.0.2") == "10.0.0.2"


# --- the audit trail --------------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("behind_proxy", "recorded"), [(False, "10.0.0.2"), (True, "198.51.100.23")]
)
def test_audit_rows_carry_the_clients_address(cast, behind_proxy, recorded):
    """A profile save (the view passes the request) and a draft (the service is given none) alike."""
    client = Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.23")
    client.force_login(cast.applicant)
    with override_settings(BEHIND_PROXY=behind_proxy):
        assert client.post(
            "/enterprise/profile/", {"name": cast.enterprise_a.name}
        ).status_code in (200, 302)
        page = client.get("/applications/new/changjiang/")
        token = page.context["form"]["creation_token"].value()
        created = client.post(
            "/applications/new/changjiang/",
            {"amount_wan": "100", "creation_token": token, "term_months": "12"},
        )
    assert created.status_code == 302, created.content.decode()[:2000]
    draft = Application.objects.filter(enterprise=cast.enterprise_a, state="draft").get()
    row = AuditEntry.objects.get(action="applications.application.created", object_id=draft.pk)
    assert row.ip_address == recorded
    assert set(AuditEntry.objects.values_list("ip_address", flat=True)) == {recorded}


@pytest.mark.django_db
def test_an_audit_row_outside_a_request_has_no_address(cast):
    from kedaitong.audit import log_action

    assert log_action(actor=None, action="system.test", obj=cast.loan_a).ip_address is None


# --- failed logins (django-axes) --------------------------------------------------------------------------------


@pytest.fixture
def clerk(db):
    return UserFactory(username="clerk", role=Role.BUREAU_STAFF)


def login(remote: str, forwarded: str | None, password: str) -> int:
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
    client = Client(REMOTE_ADDR=remote, **extra)
    return client.post("/accounts/login/", {"username": "clerk", "password": password}).status_code


@override_settings(BEHIND_PROXY=True)
def test_behind_the_proxy_failures_elsewhere_do_not_lock_the_user_out(clerk, settings):
    attacker = "203.0.113.66"
    statuses = [login("127.0.0.1", attacker, "wrong") for _ in range(settings.AXES_FAILURE_LIMIT)]
    assert statuses == [200] * (settings.AXES_FAILURE_LIMIT - 1) + [429]
    assert login("127.0.0.1", attacker, PASSWORD) == 429  # that pair is locked ...
    assert login("127.0.0.1", "198.51.100.10", PASSWORD) == 302  # ... the clerk's own is not
    attempt = AccessAttempt.objects.get(username="clerk")
    assert attempt.ip_address == attacker
    assert attempt.failures_since_start >= settings.AXES_FAILURE_LIMIT


def test_without_the_proxy_a_forged_header_does_not_escape_the_lock(clerk, settings):
    statuses = [
        login("203.0.113.66", f"198.51.100.{i}", "wrong")
        for i in range(settings.AXES_FAILURE_LIMIT)
    ]
    assert statuses == [200] * (settings.AXES_FAILURE_LIMIT - 1) + [429]
    assert login("203.0.113.66", "198.51.100.99", PASSWORD) == 429
    assert login("198.51.100.10", None, PASSWORD) == 302  # another address is not locked
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["203.0.113.66"]
