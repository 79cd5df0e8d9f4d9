"""Issue 20: where one page's time goes over the large dataset, query by query and function by function.

    .venv/bin/python bench/profile_pages.py bench-clerk /                     # SQL of each query, slowest first
    .venv/bin/python bench/profile_pages.py bench-clerk /review/queue/?size=10 --python   # and cProfile
    .venv/bin/python bench/profile_pages.py --table     # every page of bench_pages: ms, SQL ms, queries, calls

The page is requested warm through Django's test client (as bench/bench_pages.py does) on a copy of the cached
large dataset (`BENCH_PAGES_DB` names a copy to use instead: migrated and analyzed, it is used as it is).
Each query's time is the median over the requests (`connection.execute_wrapper`); `--python` adds cProfile of
the same requests, the top functions by cumulative time and the call count per request, a figure that load on
the machine does not move.
"""

from __future__ import annotations

import cProfile
import os
import pstats
import statistics
import sys
import time
from collections import defaultdict
from typing import Any

from bench_pages import setup

REPEAT = int(os.environ.get("BENCH_REPEAT", "5"))


def table() -> None:
    """bench_pages' pages, each: median ms, SQL ms (medians of the requests), queries and Python calls of one."""
    from bench_pages import bench_users, pages
    from common import TRIVIAL_URL
    from django.db import connection
    from django.test import Client

    from kedaitong.models import User

    bench_users()
    current: list[float] = []  # the query times of the request being made

    def timed(execute: Any, sql_text: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql_text, params, many, context)
        finally:
            current.append(time.perf_counter() - started)

    for label, username, url in [
        ("trivial Django view (anchor)", "bench-clerk", lambda: TRIVIAL_URL)
    ] + [(label, username, url) for label, username, url, _target, _anchor in pages()]:
        client = Client()
        if username:
            client.force_login(User.objects.get(username=username))
        address = url()
        client.get(address)  # warm
        times, sql = [], []
        for _ in range(REPEAT):
            current.clear()
            with connection.execute_wrapper(timed):
                started = time.perf_counter()
                response = client.get(address)
                times.append(time.perf_counter() - started)
            sql.append(sum(current))
        profile = cProfile.Profile()
        profile.enable()
        client.get(address)
        profile.disable()
        calls = pstats.Stats(profile).total_calls  # type: ignore[attr-defined]
        print(
            f"| {label} | {statistics.median(times) * 1000:.1f} | {statistics.median(sql) * 1000:.1f} | "
            f"{len(current)} | {calls:,} | {response.status_code} |",
            flush=True,
        )


def main() -> None:
    if "--table" in sys.argv:
        setup()
        print(
            "| page | ms | SQL ms | queries | Python calls | HTTP |\n| --- | --- | --- | --- | --- | --- |"
        )
        table()
        return
    username, url = sys.argv[1], sys.argv[2]
    setup()
    from bench_pages import bench_users
    from common import TRIVIAL_URL
    from django.db import connection
    from django.test import Client

    from kedaitong.models import User

    bench_users()
    client = Client()
    client.force_login(User.objects.get(username=username))
    client.get(url)  # warm
    per_query: dict[int, list[float]] = defaultdict(list)
    sql_of: dict[int, str] = {}
    totals, sql_totals = [], []

    def timed(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            n = len(current)
            current.append(time.perf_counter() - started)
            sql_of[n] = sql

    for _ in range(REPEAT):
        current: list[float] = []
        with connection.execute_wrapper(timed):
            started = time.perf_counter()
            response = client.get(url)
            totals.append(time.perf_counter() - started)
        for n, seconds in enumerate(current):
            per_query[n].append(seconds)
        sql_totals.append(sum(current))
    anchor = Client()
    anchor.force_login(User.objects.get(username=username))
    anchor.get(TRIVIAL_URL)
    trivial = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        anchor.get(TRIVIAL_URL)
        trivial.append(time.perf_counter() - started)
    print(f"trivial view (anchor, same run): {statistics.median(trivial) * 1000:.1f} ms")
    print(
        f"{url} as {username}: HTTP {response.status_code}, median {statistics.median(totals) * 1000:.1f} ms, "
        f"SQL {statistics.median(sql_totals) * 1000:.1f} ms, {len(per_query)} queries"
    )
    ranked = sorted(per_query, key=lambda n: -statistics.median(per_query[n]))
    for n in ranked:
        print(f"  #{n:2d} {statistics.median(per_query[n]) * 1000:7.2f} ms  {sql_of[n][:300]}")
    if "--python" in sys.argv:
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(REPEAT):
            client.get(url)
        profile.disable()
        stats = pstats.Stats(profile)
        print(f"\n{stats.total_calls // REPEAT} function calls a request")  # type: ignore[attr-defined]
        stats.sort_stats(os.environ.get("BENCH_SORT", "cumulative")).print_stats(
            int(os.environ.get("BENCH_TOP", "60"))
        )


if __name__ == "__main__":
    main()
