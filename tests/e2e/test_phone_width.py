"""Issue 18 item 5: on a phone (390×844) no page is wider than the screen, for any role.

Every GET row of the access matrix (tests/access_matrix_table.py) is opened at 390 px by every
role it answers 200, and `document.documentElement.scrollWidth` must stay within the screen. A
table may be wider than the screen inside a box of its own that scrolls (overflow-x: auto); the
page itself may not. A failure names the page, the role and the elements that stick out.

Rows are taken as tests/test_access_matrix.py takes them: each builds its objects on the cast in a
savepoint that is rolled back once every role has seen the page, so one row's objects never stop the
next row's (two rows may each open "the 2025 subsidy run"). For that the pages are served in this
thread, on this test's database connection: Chromium's requests are routed (Playwright's
`context.route`) to Django's test client of the role, logged in and in the row's program as in the
matrix. Chromium renders the real responses, styles and scripts; only the socket is left out.

The same walk keeps the done-when screenshots (not committed: var/ is git-ignored): each role's home
and enterprise A's application page, at 390×844 and at 1366×768, in var/artifacts/screenshots/.
"""

from __future__ import annotations

import contextvars
import mimetypes
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.contrib.staticfiles import finders
from django.core.cache import cache
from django.db import transaction

from tests.access import ROLES
from tests.access_matrix_table import table
from tests.test_access_matrix import client_for, row_program

# slow: the longest browser tests start first, this test's two halves on different xdist workers
# (tests/e2e/conftest.py: pytest_collection_modifyitems).
pytestmark = [pytest.mark.e2e, pytest.mark.django_db, pytest.mark.slow]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 768}
ORIGIN = "http://testserver"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "artifacts" / "screenshots"
# Pages whose screenshots are kept: (row name, role or None for every role).
SHOT = {("home", None), ("applications:application-detail", "enterprise_a")}

# The elements that make the page wider than the screen: those whose right edge passes it and that
# sit in no box of their own that scrolls or clips; of a nest of them, the outermost is named (the one
# to fix), the farthest-reaching first.
OVERFLOWING = """
(limit) => {
  const clipped = (el) => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      if (getComputedStyle(p).overflowX !== 'visible') return true;
    }
    return false;
  };
  const outside = (el) => el.getBoundingClientRect().right > limit + 0.5;
  const own = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    (typeof el.className === 'string' && el.className.trim()
      ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
  // An element without id or class is named after its nearest ancestor that has one.
  const name = (el) => {
    let path = own(el);
    for (let p = el.parentElement; p && p !== document.body && !/[#.]/.test(path.split(' > ')[0]);
         p = p.parentElement) path = own(p) + ' > ' + path;
    return path;
  };
  const found = [];
  for (const el of document.body.querySelectorAll('*')) {
    if (!outside(el) || clipped(el)) continue;
    const parent = el.parentElement;
    if (parent && parent !== document.body && outside(parent)) continue;
    const r = el.getBoundingClientRect();
    found.push(`${name(el)} right=${Math.round(r.right)} width=${Math.round(r.width)}`);
  }
  return found.slice(0, 4);
}
"""


class Server:
    """Answers a browser context's requests with Django's test client in this thread."""

    def __init__(self) -> None:
        self.client: Any = None
        self.document: dict[str, str] = {}
        self.errors: list[str] = []
        # Playwright calls a route's handler in a greenlet of its own, whose context variables start
        # empty: Django would open a second database connection there, outside this test's transaction.
        # The handler runs in this thread's context instead, on this test's connection.
        self._context = contextvars.copy_context()
        self._static: dict[str, tuple[bytes, str]] = {}

    def __call__(self, route: Any) -> None:
        # An error is said in the test's failure, not lost in Playwright's dispatcher.
        try:
            self._context.copy().run(self._answer, route)
        except BaseException as exc:
            self.errors.append(f"{route.request.url}: {exc!r}")
            route.fulfill(status=599, body=repr(exc))

    def _answer(self, route: Any) -> None:
        request = route.request
        parts = urlsplit(request.url)
        if parts.path.startswith("/static/"):
            route.fulfill(**self._static_file(parts.path.removeprefix("/static/")))
            return
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        response = self.client.generic(
            request.method,
            path,
            request.post_data_buffer or b"",
            content_type=request.headers.get("content-type", ""),
            headers={"accept-language": request.headers.get("accept-language", "zh-CN")},
        )
        body = b"".join(response.streaming_content) if response.streaming else response.content
        headers = dict(response.headers.items())
        if request.resource_type == "document":
            self.document = {
                "type": headers.get("Content-Type", ""),
                "status": response.status_code,
            }
            if response.status_code != 200 or not self.document["type"].startswith("text/html"):
                # A file (PDF, spreadsheet, zip) would start a download, a redirect leave the routed
                # origin: neither has a width to check. The test reads the status from `document`.
                route.fulfill(
                    status=200, content_type="text/plain", body=headers.get("Location", "")
                )
                return
        route.fulfill(status=response.status_code, headers=headers, body=body)

    def _static_file(self, name: str) -> dict[str, Any]:
        if name not in self._static:
            found = finders.find(name)
            if found is None:
                self._static[name] = (b"", "")
            else:
                kind = mimetypes.guess_type(found)[0] or "application/octet-stream"
                self._static[name] = (Path(found).read_bytes(), kind)
        body, kind = self._static[name]
        return {"status": 200 if kind else 404, "body": body, "content_type": kind or "text/plain"}


def _shoot(page: Any, name: str) -> None:
    """Full-page screenshots at both sizes; the page is left at the phone's size."""
    page.screenshot(path=str(SCREENSHOTS / f"{name}-390x844.png"), full_page=True)
    page.set_viewport_size(DESKTOP)
    page.screenshot(path=str(SCREENSHOTS / f"{name}-1366x768.png"), full_page=True)
    page.set_viewport_size(PHONE)


# Two halves of the roles with about as many pages each (369 and 384 role-pages of the table), so that
# the browser tests' two workers share the walk.
HALVES = {
    "government-heads-enterprises": (
        "anonymous",
        "enterprise_a",
        "enterprise_b",
        "bureau_head",
        "leading_group",
        "admin",
    ),
    "clerks-banks-auditors": ("bureau_staff", "bank_x", "bank_y", "auditor", "accountant"),
}
assert sorted(r for half in HALVES.values() for r in half) == sorted(ROLES)


@pytest.mark.parametrize("half", list(HALVES))
def test_no_page_is_wider_than_a_phone_for_any_role(browser, cast, half):
    roles = HALVES[half]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    users = cast.users()
    # One client per role and program, logged in once: each row's savepoint leaves their sessions as they were.
    clients = {
        (program.code, role): client_for(role, users, program)
        for program in (cast.changjiang, cast.quzhou)
        for role in roles
    }
    servers = {role: Server() for role in roles}
    pages: dict[str, Any] = {}
    too_wide: list[str] = []
    visited = 0
    contexts = []
    try:
        for role in roles:
            context = browser.new_context(
                base_url=ORIGIN,
                locale="zh-CN",
                viewport=PHONE,
                accept_downloads=False,
                java_script_enabled=False,
            )
            contexts.append(context)
            context.route("**/*", servers[role])
            pages[role] = context.new_page()
        for row in table():
            if row.method != "GET" or 200 not in row.expected.values():
                continue
            with transaction.atomic():
                program = row_program(row, cast)
                url = row.url(cast)
                for role in roles:
                    if row.expected[role] != 200:
                        continue
                    cache.clear()  # throttles count per address, not per role (as in the matrix)
                    servers[role].client = clients[program.code, role]
                    page = pages[role]
                    # "load": the style sheets are applied (at DOMContentLoaded they may not be yet).
                    response = page.goto(url, wait_until="load")
                    document = servers[role].document
                    assert not servers[role].errors, servers[role].errors
                    assert response is not None and document["status"] == 200, (row.name, role, url)
                    if not document["type"].startswith("text/html"):
                        break  # a file (PDF, spreadsheet): a file for the other roles too
                    visited += 1
                    width = page.evaluate("document.documentElement.scrollWidth")
                    if width > PHONE["width"]:
                        culprits = page.evaluate(OVERFLOWING, PHONE["width"])
                        too_wide.append(f"{row.name} as {role}: {width}px, {url}\n    {culprits}")
                    if (row.name, None) in SHOT or (row.name, role) in SHOT:
                        _shoot(page, f"{role}-{row.name.split(':')[-1]}")
                transaction.set_rollback(True)
    finally:
        for context in contexts:
            context.close()
    assert not too_wide, f"{len(too_wide)} of {visited} pages are wider than 390 px:\n" + "\n".join(
        too_wide
    )
    # Every role's pages were seen, not skipped as files (about 70 % of the role-pages are web pages).
    pairs = sum(
        1 for row in table() if row.method == "GET" for role in roles if row.expected[role] == 200
    )
    assert visited > 0.6 * pairs, (visited, pairs)
