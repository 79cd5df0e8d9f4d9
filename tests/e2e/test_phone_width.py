"""Issue 18 item 5: on a phone (390×844) no page is wider than the screen, for any role.

Every GET row of the access matrix (tests/access_matrix_table.py) is opened at 390 px by every
role it answers 200, and `document.documentElement.scrollWidth` must stay within the screen. A
table may be wider than the screen inside a box of its own that scrolls (overflow-x: auto); the
page itself may not. A failure names the page, the role and the elements that stick out.

Rows are taken as tests/test_access_matrix.py takes them: each builds its objects on the cast in a
savepoint that is rolled back once every role has seen the page, so one row's objects never stop the
next row's (two rows may each open "the 2025 subsidy run"). For that the pages are served by Django
in a thread of this process lent this test's database connection (`Server`), so they see the row's
savepoint. One browser page visits as every role in turn: before each visit it gets the session cookie
of the role's test client, logged in and in the row's program as in the matrix. Chromium renders the
real responses and styles (scripts off); the style sheets come once, then from its cache.

The same walk keeps the done-when screenshots (not committed: var/ is git-ignored): each role's home
and enterprise A's application page, at 390×844 and at 1366×768, in var/artifacts/screenshots/.
"""

from __future__ import annotations

import mimetypes
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIHandler
from django.core.servers.basehttp import ThreadedWSGIServer
from django.core.signals import got_request_exception, request_finished, request_started
from django.db import close_old_connections, connections, transaction
from django.test.testcases import QuietWSGIRequestHandler

from tests.access import ROLES
from tests.access_matrix_table import table
from tests.test_access_matrix import client_for, row_program

# slow: the longest browser tests start first (tests/conftest.py), this test's four parts among them.
pytestmark = [pytest.mark.e2e, pytest.mark.django_db, pytest.mark.slow]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 768}
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
    """Django in a thread of this process, on this test's database connection, for Chromium.

    Chromium asks a real socket (no Playwright routing: that turned off its HTTP cache, so every page fetched
    and parsed both style sheets again, and sent every body through Playwright's pipe twice, base64). Django
    answers in a thread of this process that is lent this test's connections, so it sees the row's savepoint;
    one request at a time, while the test waits in `page.goto`.
    """

    def __init__(self) -> None:
        self.document: dict[str, Any] = {}
        self.errors: list[str] = []
        self._django = WSGIHandler()
        self._lock = threading.Lock()
        self._static: dict[str, tuple[bytes, str]] = {}
        overrides = {alias: connections[alias] for alias in connections}
        self._connections = list(overrides.values())
        self._httpd = _TestConnectionsServer(
            ("127.0.0.1", 0),
            QuietWSGIRequestHandler,
            allow_reuse_address=False,
            connections_override=overrides,
        )
        self._httpd.set_app(self)
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def __enter__(self) -> Server:
        for connection in self._connections:
            connection.inc_thread_sharing()
        # As Django's test client does: a request's start and end must not close this test's connection
        # (it is in the test's transaction, which such a close would end).
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        got_request_exception.connect(self._failed)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()
        got_request_exception.disconnect(self._failed)
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
        for connection in self._connections:
            connection.dec_thread_sharing()

    def _failed(self, sender: Any, request: Any = None, **kwargs: Any) -> None:
        # An error is said in the test's failure, not only as a 500.
        self.errors.append(f"{getattr(request, 'path', '?')}: {sys.exc_info()[1]!r}")

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith("/static/"):
            return self._static_file(path.removeprefix("/static/"), start_response)
        with self._lock:
            got: dict[str, Any] = {}

            def keep(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
                got.update(status=status, headers=headers)

            result = self._django(environ, keep)
            try:
                body = b"".join(result)
            finally:
                result.close()  # request_finished
        status, headers = got["status"], got["headers"]
        if environ.get("HTTP_SEC_FETCH_DEST", "document") == "document":
            named = {name.lower(): value for name, value in headers}
            self.document = {
                "type": named.get("content-type", ""),
                "status": int(status.split()[0]),
            }
            if self.document["status"] != 200 or not self.document["type"].startswith("text/html"):
                # A file (PDF, spreadsheet, zip) would start a download, a redirect lead elsewhere:
                # neither has a width to check. The test reads the status from `document`.
                body = named.get("location", "").encode()
                start_response(
                    "200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))]
                )
                return [body]
        start_response(status, headers)
        return [body]

    def _static_file(self, name: str, start_response: Any) -> list[bytes]:
        if name not in self._static:
            found = finders.find(name)
            if found is None:
                self._static[name] = (b"", "")
            else:
                kind = mimetypes.guess_type(found)[0] or "application/octet-stream"
                self._static[name] = (Path(found).read_bytes(), kind)
        body, kind = self._static[name]
        if not kind:
            start_response(
                "404 Not Found", [("Content-Type", "text/plain"), ("Content-Length", "0")]
            )
            return [b""]
        # Kept by each context's cache for the walk: the style sheets are fetched and parsed once a role. A
        # year, as the server's Date header is the test's clock (a day behind Chromium's): an hour would be
        # stale on arrival.
        headers = [
            ("Content-Type", kind),
            ("Content-Length", str(len(body))),
            ("Cache-Control", "max-age=31536000, immutable"),
        ]
        start_response("200 OK", headers)
        return [body]


class _TestConnectionsServer(ThreadedWSGIServer):
    """Django's threaded server, which closes no connection after a request: they are the test's own."""

    def _close_connections(self) -> None:
        pass


def _sign_in(page: Any, url: str, client: Any, signed_in: list[str]) -> None:
    """Give the page the session cookie of the role's test client for the row's program (none: anonymous)."""
    cookie = client.cookies.get(settings.SESSION_COOKIE_NAME)
    value = cookie.value if cookie is not None else ""
    if signed_in[0] == value:
        return
    if value:
        page.context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": value, "url": url}]
        )
    else:
        page.context.clear_cookies(name=settings.SESSION_COOKIE_NAME)
    signed_in[0] = value


def _shoot(page: Any, name: str) -> None:
    """Full-page screenshots at both sizes; the page is left at the phone's size."""
    page.screenshot(path=str(SCREENSHOTS / f"{name}-390x844.png"), full_page=True)
    page.set_viewport_size(DESKTOP)
    page.screenshot(path=str(SCREENSHOTS / f"{name}-1366x768.png"), full_page=True)
    page.set_viewport_size(PHONE)


# Four parts of the roles with about as many pages each (184 to 196 role-pages of the table's 753), so that
# the browser tests' workers share the walk: each part waits on Chromium for about half its time.
PARTS = {
    "admin-bank_x": ("admin", "bank_x"),
    "staff-group": ("bureau_staff", "leading_group"),
    "head-accountant-anonymous": ("bureau_head", "accountant", "anonymous"),
    "auditor-bank_y-enterprises": ("auditor", "bank_y", "enterprise_a", "enterprise_b"),
}
assert sorted(r for part in PARTS.values() for r in part) == sorted(ROLES)


@pytest.mark.parametrize("part", list(PARTS))
def test_no_page_is_wider_than_a_phone_for_any_role(browser, cast, part):
    roles = PARTS[part]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    users = cast.users()
    # One client per role and program, logged in once: each row's savepoint leaves their sessions as they were.
    clients = {
        (program.code, role): client_for(role, users, program)
        for program in (cast.changjiang, cast.quzhou)
        for role in roles
    }
    # One page for every role, who is the session cookie set before each visit: a context of each role's own
    # had Chromium start a new renderer process for nearly every visit (its spare process, made ready for
    # the context used last, never fits the next role's).
    signed_in = [""]  # the session cookie the page has now
    too_wide: list[str] = []
    visited = 0
    with Server() as server:
        context = browser.new_context(
            base_url=server.url,
            locale="zh-CN",
            viewport=PHONE,
            accept_downloads=False,
            java_script_enabled=False,
        )
        try:
            page = context.new_page()
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
                        _sign_in(page, server.url, clients[program.code, role], signed_in)
                        server.document = {}
                        # "load": the style sheets are applied (at DOMContentLoaded they may not be yet).
                        response = page.goto(url, wait_until="load")
                        document = server.document
                        assert not server.errors, server.errors
                        assert response is not None and document.get("status") == 200, (
                            row.name,
                            role,
                            url,
                            document,
                        )
                        if not document["type"].startswith("text/html"):
                            break  # a file (PDF, spreadsheet): a file for the other roles too
                        visited += 1
                        width = page.evaluate("document.documentElement.scrollWidth")
                        if width > PHONE["width"]:
                            culprits = page.evaluate(OVERFLOWING, PHONE["width"])
                            too_wide.append(
                                f"{row.name} as {role}: {width}px, {url}\n    {culprits}"
                            )
                        if (row.name, None) in SHOT or (row.name, role) in SHOT:
                            _shoot(page, f"{role}-{row.name.split(':')[-1]}")
                    transaction.set_rollback(True)
        finally:
            context.close()
    assert not too_wide, f"{len(too_wide)} of {visited} pages are wider than 390 px:\n" + "\n".join(
        too_wide
    )
    # Every role's pages were seen, not skipped as files (about 70 % of the role-pages are web pages).
    pairs = sum(
        1 for row in table() if row.method == "GET" for role in roles if row.expected[role] == 200
    )
    assert visited > 0.6 * pairs, (visited, pairs)
