"""Issue 14: the CPU of one portal page request through Django's test client, per page and role.

The test cast (tests/conftest.py `build_cast`) in a throw-away SQLite database, the test environment
(`setup_test_environment`: DEBUG off, templates instrumented as under pytest, whose test client copies
each rendered template's context), then N warm GETs of a handful of typical pages for each role. Prints
the median milliseconds per request and the queries per request, and, as a figure that load on the
machine does not move, the Python function calls per request (cProfile's count).

    .venv/bin/python bench/page_cpu.py                 # the table
    BENCH_REPEAT=40 .venv/bin/python bench/page_cpu.py
    .venv/bin/python bench/page_cpu.py --profile       # cProfile of every page, top functions
"""

from __future__ import annotations

import cProfile
import logging
import os
import pstats
import statistics
import sys
import time

from common import setup_django

REPEAT = int(os.environ.get("BENCH_REPEAT", "5"))


def cast_and_pages() -> tuple[dict, list[tuple[str, str]]]:
    """The cast's users by role and the pages (label, url) every role asks for."""
    # A fast hasher for the cast's passwords, as the tests use (tests/conftest.py `_fast_hashing`).
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.urls import reverse

    from tests.conftest import build_cast

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    assert get_user_model().objects.count() == 0
    cast = build_cast()
    app = cast.application_a.public_id
    pages = [
        ("home", reverse("home")),
        ("application detail", reverse("applications:application-detail", args=[app])),
        ("review queue", reverse("review:queue")),
        ("loan list", reverse("loans:loan-list")),
        ("loan detail", reverse("loans:loan-detail", args=[cast.loan_a.public_id])),
        ("inbox", reverse("review:inbox")),
        ("form: new loan", reverse("loans:loan-create")),
    ]
    return {"cast": cast, "users": cast.users()}, pages


def clients(found: dict) -> dict:
    from django.test import Client

    from applications.scope import SESSION_KEY
    from tests.conftest import log_in

    made = {}
    for role, user in found["users"].items():
        client = Client()
        works_in = (
            {SESSION_KEY: found["cast"].changjiang.code}
            if role in ("bank_x", "bank_y", "admin")
            else {}
        )
        log_in(client, user, **works_in)
        made[role] = client
    return made


def measure(client, url: str) -> tuple[float, int, int, int]:
    """Median ms, queries and function calls of one request, and its status."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)  # warm
    times = []
    for _ in range(REPEAT):
        # This process's CPU time, not the wall clock: the machine's other work moves it far less.
        started = time.process_time()
        client.get(url)
        times.append(time.process_time() - started)
    with CaptureQueriesContext(connection) as queries:
        profile = cProfile.Profile()
        profile.enable()
        response = client.get(url)
        profile.disable()
    calls = pstats.Stats(profile).total_calls  # type: ignore[attr-defined]
    return statistics.median(times) * 1000, len(queries), calls, response.status_code


def main() -> None:
    setup_django("page_cpu")
    from django.test.utils import setup_test_environment

    setup_test_environment()
    # The 403 and 404 pages are part of the table; their log lines are not.
    logging.getLogger("django.request").setLevel(logging.CRITICAL)
    found, pages = cast_and_pages()
    made = clients(found)
    if "--profile" in sys.argv:
        profile = cProfile.Profile()
        for _label, url in pages:
            for client in made.values():
                client.get(url)
        profile.enable()
        for _ in range(2):
            for _label, url in pages:
                for client in made.values():
                    client.get(url)
        profile.disable()
        requests = 2 * len(pages) * len(made)
        print(f"{requests} requests")
        stats = pstats.Stats(profile)
        if os.environ.get("BENCH_PROFILE_OUT"):
            stats.dump_stats(os.environ["BENCH_PROFILE_OUT"])
        stats.sort_stats("cumulative").print_stats(60)
        stats.sort_stats("tottime").print_stats(40)
        return
    print(f"{REPEAT} warm GETs per page and role; median CPU ms, queries, function calls, status\n")
    print("| page | " + " | ".join(made) + " | mean ms | mean calls |")
    print("| --- " * (len(made) + 3) + "|")
    grand_ms, grand_calls, n = 0.0, 0, 0
    for label, url in pages:
        cells, page_ms, page_calls = [], 0.0, 0
        for client in made.values():
            ms, queries, calls, status = measure(client, url)
            cells.append(f"{ms:.1f} / {queries}q / {calls} ({status})")
            page_ms += ms
            page_calls += calls
        grand_ms += page_ms
        grand_calls += page_calls
        n += len(made)
        print(
            f"| {label} | "
            + " | ".join(cells)
            + f" | {page_ms / len(made):.1f} | {page_calls // len(made)} |"
        )
    print(f"\nall pages and roles: {grand_ms / n:.2f} ms/request, {grand_calls // n} calls/request")


if __name__ == "__main__":
    main()
