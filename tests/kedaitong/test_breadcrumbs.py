"""Breadcrumbs (issue 18, item 6): every page below home shows a trail that ends at its own title, and every
link in it opens for the user who sees it (kedaitong/breadcrumbs.py, rendered by templates/base.html)."""

from __future__ import annotations

import html
import re

import pytest
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.db import connection

from applications.scope import SESSION_KEY
from tests.access import move_cast_to_quzhou
from tests.access_matrix_table import table

TRAIL = re.compile(r'<nav aria-label="[^"]*" class="breadcrumb"><ol>(.*?)</ol></nav>', re.S)
LINK = re.compile(r'<li><a href="([^"]+)">(.*?)</a></li>')
CURRENT = re.compile(r'<li aria-current="page">(.*?)</li>', re.S)
TITLE = re.compile(r"<title>(.*) · [^·<]*</title>", re.S)
# Not pages of the portal's layout: a health probe, the API's schema and its documentation viewer.
NOT_PAGES = {"healthz", "api-v1:openapi-json", "api-v1:openapi-view"}
# One role of each side sees each page (a trail may differ by side, not within one).
SIDES = (
    ("anonymous",),
    ("enterprise_a", "enterprise_b"),
    ("bureau_staff", "bureau_head", "leading_group", "auditor", "accountant"),
    ("bank_x", "bank_y"),
    ("admin",),
)
PAGES = [
    row
    for row in table()
    if row.method == "GET" and row.name not in NOT_PAGES and 200 in row.expected.values()
]


def text(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", fragment)).strip()


def client_for(role, users, program):
    client = Client()
    if role != "anonymous":
        client.force_login(users[role])
        if role in ("bank_x", "bank_y", "admin"):
            session = client.session
            session[SESSION_KEY] = program.code
            session.save()
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("row", PAGES, ids=[f"{row.name} {row.program}" for row in PAGES])
def test_every_page_below_home_shows_a_trail_ending_at_its_title(row, cast):
    if row.program == "quzhou":
        move_cast_to_quzhou(cast)
    program = cast.quzhou if row.program == "quzhou" else cast.changjiang
    url = row.url(cast)
    users = cast.users()
    for side in SIDES:
        role = next((r for r in side if row.expected[r] == 200), None)
        if role is None:
            continue
        client = client_for(role, users, program)
        response = client.get(url)
        assert response.status_code == 200, (role, url)
        if not response["Content-Type"].startswith("text/html"):
            continue  # a download
        page = response.content.decode()
        found = TRAIL.search(page)
        if row.name == "home":
            assert found is None
            continue
        assert found, f"{row.name}: no breadcrumb trail for {role}"
        links = LINK.findall(found.group(1))
        own = text(CURRENT.search(found.group(1)).group(1))
        assert own == text(TITLE.search(page).group(1)), (row.name, role)
        assert links and links[0][0] == "/", (row.name, role, links)  # it starts at home
        assert text(links[0][1]) == "首页"
        for href, title in links:
            assert text(title), (row.name, href)
            assert client.get(html.unescape(href)).status_code == 200, (row.name, role, href)
