"""No page sends a visitor off the portal: every `next` a stranger can write stays on this host.

docs/security.md: the redirects tried against a production server (login, logout,
language switch, the password pages) with absolute, scheme-relative, backslash,
encoded and javascript: targets.
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

import pytest
from django.test import Client

from kedaitong.roles import Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery"

HOSTILE = [
    "https://evil.example/",
    "http://evil.example",
    "//evil.example/",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "https:evil.example",
    "javascript:alert(1)",
    "%2F%2Fevil.example",
    "https://testserver.evil.example/",
    "https://evil.example@testserver/",
    " //evil.example",
]


def stays_here(response) -> bool:  # type: ignore[no-untyped-def]
    """Where a browser goes with this Location (resolved as browsers do, backslashes as slashes)."""
    location = response.get("Location", "").strip().replace("\\", "/")
    target = urlsplit(urljoin("http://testserver/accounts/login/", location))
    return target.scheme == "http" and target.netloc == "testserver"


@pytest.mark.parametrize("target", HOSTILE)
def test_login_never_sends_the_user_off_the_portal(target):
    UserFactory(username="clerk", role=Role.BUREAU_STAFF)
    response = Client().post(
        f"/accounts/login/?next={target}",
        {"username": "clerk", "password": PASSWORD, "next": target},
    )
    assert response.status_code == 302 and stays_here(response), response["Location"]


@pytest.mark.parametrize("target", HOSTILE)
def test_logout_and_language_switch_stay_on_the_portal(target):
    client = Client()
    client.force_login(UserFactory(username="clerk", role=Role.BUREAU_STAFF))
    switched = client.post("/i18n/setlang/", {"language": "en", "next": target})
    assert switched.status_code == 302 and stays_here(switched), switched["Location"]
    referred = client.post("/i18n/setlang/", {"language": "zh-hans"}, HTTP_REFERER=target)
    assert referred.status_code == 302 and stays_here(referred), referred["Location"]
    out = client.post(f"/accounts/logout/?next={target}", {"next": target})
    assert out.status_code == 302 and stays_here(out), out["Location"]


@pytest.mark.parametrize("target", HOSTILE[:4])
def test_pages_that_redirect_after_a_form_ignore_a_foreign_next(target):
    client = Client()
    client.force_login(UserFactory(username="clerk", role=Role.BUREAU_STAFF))
    already = client.get(f"/accounts/login/?next={target}")
    assert already.status_code == 302 and stays_here(already)
    register = client.get(f"/enterprise/register/?next={target}")
    assert register.status_code == 302 and register["Location"] == "/"
