"""Production smoke check: every GET page of the access matrix, as every role, served by gunicorn in production mode.

Run by scripts/prod_smoke.sh, in the production environment it set up (same
database, DJANGO_ENV=production), while gunicorn serves at --base:

1. Builds the tests' cast (tests/conftest.py `build_cast`; for Quzhou rows moved to
   Quzhou) so that every URL builder of tests/access_matrix_table.py finds its objects.
2. Logs in through the real login form (CSRF token, Referer and Origin as a browser
   sends them over HTTPS, secure cookies) as each demo user of fixtures/demo.json;
   anonymous too; and as each cast user (a session made directly).
3. Requests every GET row's URL as each of them, with `X-Forwarded-Proto: https` as the
   TLS-terminating proxy would send (BEHIND_PROXY=1), and fails on any 5xx.
4. Checks that a page names the hashed static files of the manifest and that they are served.
5. Rows whose objects clash with earlier rows' (one subsidy run per program and year)
   are listed (--unbuilt-file) and requested afterwards with --in-process, each alone
   on a copy of the database taken before load_demo, through the same WSGI application.
"""

from __future__ import annotations

import argparse
import collections
import http.client
import json
import re
import sys
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


class Browser:
    """One person's cookies over plain HTTP to a server that believes the proxy's HTTPS."""

    def __init__(self, base: str) -> None:
        parts = urllib.parse.urlsplit(base)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.origin = f"https://{self.host}:{self.port}"
        self.cookies: dict[str, str] = {}

    def request(
        self, method: str, path: str, body: str | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
        sent = {"Host": f"{self.host}:{self.port}", "X-Forwarded-Proto": "https"}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        sent |= headers or {}
        try:
            conn.request(method, path, body=body, headers=sent)
            response = conn.getresponse()
            content = response.read()
        finally:
            conn.close()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                cookie_value = rest.split(";", 1)[0]
                if "expires=Thu, 01 Jan 1970" in value or "Max-Age=0" in value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = cookie_value
        return response.status, {k.lower(): v for k, v in response.getheaders()}, content

    def login(self, username: str, password: str) -> None:
        status, _, page = self.request("GET", "/accounts/login/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if status != 200 or token is None:
            raise SystemExit(f"prod_smoke: the login page answered {status} without a form")
        form = urllib.parse.urlencode(
            {
                "username": username,
                "password": password,
                "csrfmiddlewaretoken": token.group(1).decode(),
            }
        )
        status, headers, _ = self.request(
            "POST",
            "/accounts/login/",
            body=form,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Referer": f"{self.origin}/accounts/login/",
                "Origin": self.origin,
            },
        )
        location = headers.get("location", "")
        if status != 302 or "/accounts/login/" in location:
            raise SystemExit(f"prod_smoke: {username} could not log in ({status} → {location!r})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", help="the server, e.g. http://127.0.0.1:8765")
    parser.add_argument(
        "--unbuilt-file", help="write here the rows whose objects clash with earlier rows'"
    )
    parser.add_argument(
        "--in-process",
        metavar="FILE",
        help="request the rows named in FILE through the WSGI application in this process, "
        "each built on the database as it is and rolled back (a clean copy of the demo database)",
    )
    args = parser.parse_args()

    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kedaitong.settings")
    django.setup()
    from django.conf import settings
    from django.db import transaction
    from django.test import Client
    from django.test.utils import override_settings

    from tests.access import ROW_PROGRAMS, move_cast_to_quzhou
    from tests.access_matrix_table import table
    from tests.conftest import FAST_HASHERS, Cast, build_cast

    demo = json.loads((ROOT / "fixtures" / "demo.json").read_text(encoding="utf-8"))
    rows = [row for row in table() if row.method == "GET"]

    # 1. The objects each row's URL names, built as the tests build them: on one cast per
    #    program where the row's builder can share it, else on a cast of the row's own (a
    #    builder that moves an application through review needs it untouched).
    def new_cast(prefix: str, program: str) -> Cast:
        # The cast's users never log in through the form (step 2 makes their sessions), so their passwords are
        # hashed with the tests' fast hasher, not production's Argon2: 0.2 s a user, 11 users a cast, 30 casts.
        with override_settings(PASSWORD_HASHERS=FAST_HASHERS):
            cast = build_cast(prefix)
        if program == ROW_PROGRAMS[1]:
            move_cast_to_quzhou(cast)
        return cast

    if args.in_process:
        wanted = set(Path(args.in_process).read_text().split())
        return in_process([r for r in rows if r.name in wanted], new_cast, demo)

    shared = {p: new_cast(f"smoke-{p}-", p) for p in ROW_PROGRAMS}
    pages: list[tuple[Cast, str, str]] = []  # (cast, row name, URL)
    unbuilt: list[str] = []
    for n, row in enumerate(rows):
        try:
            with transaction.atomic():
                pages.append((shared[row.program], row.name, row.url(shared[row.program])))
                continue
        except Exception:  # this row's builder needs a cast of its own
            pass
        try:
            with transaction.atomic():
                own = new_cast(f"smoke-{n}-", row.program)
                pages.append((own, row.name, row.url(own)))
        except Exception as exc:
            unbuilt.append(row.name)
            print(f"prod_smoke: {row.name} clashes with earlier rows ({type(exc).__name__}: {exc})")
    casts = list({id(c): c for c, _, _ in pages}.values())

    # 2. Everyone who may knock: each demo user through the login form, nobody, and the
    #    users of each cast (a session made here: they have no demo password).
    people: list[tuple[str, Browser, list[str]]] = []  # (who, their browser, URLs they ask)
    every_url = [url for _, _, url in pages]
    for user in demo["users"]:
        browser = Browser(args.base)
        browser.login(user["username"], demo["password"])
        people.append((user["username"], browser, every_url))
    people.append(("anonymous", Browser(args.base), every_url))
    for cast in casts:
        urls = [url for c, _, url in pages if c is cast]
        for user in cast.users().values():
            browser = Browser(args.base)
            client = Client()
            client.force_login(user)
            browser.cookies[settings.SESSION_COOKIE_NAME] = client.cookies[
                settings.SESSION_COOKIE_NAME
            ].value
            people.append((user.username, browser, urls))
    names = {url: name for _, name, url in pages}

    # 3. Every GET page as each of them, four people at a time (gunicorn has two workers).
    started = time.monotonic()
    statuses: collections.Counter[int] = collections.Counter()
    errors: list[str] = []

    def visit(person: tuple[str, Browser, list[str]]) -> list[tuple[int, str, str]]:
        who, browser, urls = person
        return [(browser.request("GET", url)[0], url, who) for url in urls]

    with ThreadPoolExecutor(max_workers=4) as pool:
        for results in pool.map(visit, people):
            for status, url, who in results:
                statuses[status] += 1
                if status >= 500:
                    errors.append(f"{status} GET {url} ({names[url]}) as {who}")

    # 4. The manifest's hashed static files, named by the pages and served.
    _, _, page = Browser(args.base).request("GET", "/accounts/login/")
    assets = re.findall(rb'(?:href|src)="(/static/[^"]+)"', page)
    hashed = [a.decode() for a in assets if re.search(rb"\.[0-9a-f]{12}\.", a)]
    if not hashed or len(hashed) != len(assets):
        errors.append(f"the login page names unhashed static files: {assets}")
    for asset in hashed:
        status, headers, _ = Browser(args.base).request("GET", asset)
        if status != 200:
            errors.append(f"{status} GET {asset}")

    requests = sum(statuses.values())
    seconds = time.monotonic() - started
    print(
        f"prod_smoke: {len(rows)} GET rows of the access matrix ({len(casts)} casts), "
        f"{len(demo['users'])} demo users logged in through the form, anonymous, and each "
        f"cast's users: {requests} requests in {seconds:.0f} s; statuses "
        + ", ".join(f"{code}×{n}" for code, n in sorted(statuses.items()))
    )
    print(f"prod_smoke: {len(hashed)} hashed static files served from the manifest")
    for error in errors:
        print(f"prod_smoke: FAILED {error}")
    if unbuilt:
        if not args.unbuilt_file:
            return 1
        Path(args.unbuilt_file).write_text("\n".join(unbuilt) + "\n")
    return 1 if errors else 0


def in_process(rows, new_cast, demo) -> int:  # type: ignore[no-untyped-def]
    """Rows whose objects clash with other rows' (one subsidy run per program and year, the year's
    compensation budget): each is built alone on a database without demo data (as in the tests),
    requested as the cast's users and anonymous through the same WSGI application and
    production settings as gunicorn serves, and rolled back."""
    from django.db import transaction
    from django.test import Client

    from kedaitong.models import User

    statuses: collections.Counter[int] = collections.Counter()
    errors: list[str] = []
    demo_users = list(User.objects.filter(username__in=[u["username"] for u in demo["users"]]))
    for n, row in enumerate(rows):
        with transaction.atomic():
            cast = new_cast(f"smoke-alone-{n}-", row.program)
            url = row.url(cast)
            for user in [*demo_users, *cast.users().values(), None]:
                client = Client(raise_request_exception=False, HTTP_HOST="127.0.0.1")
                if user is not None:
                    client.force_login(user)
                status = client.get(url, secure=True, HTTP_X_FORWARDED_PROTO="https").status_code
                statuses[status] += 1
                if status >= 500:
                    errors.append(f"{status} GET {url} ({row.name}) as {user or 'anonymous'}")
            transaction.set_rollback(True)
    print(
        f"prod_smoke: {len(rows)} rows built alone, in process: {sum(statuses.values())} requests; "
        + ", ".join(f"{code}×{n}" for code, n in sorted(statuses.items()))
    )
    for error in errors:
        print(f"prod_smoke: FAILED {error}")
    return 1 if errors or not rows else 0


if __name__ == "__main__":
    sys.exit(main())
