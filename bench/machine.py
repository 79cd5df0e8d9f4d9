"""The machine, the date and the load average, printed around `make bench`'s table so a figure is never read
without them: `machine.py start` prints them and the table's header, `machine.py end` the load at the end."""

from __future__ import annotations

import datetime as dt
import os
import platform
import sqlite3
import sys
import time

from common import HEADER


def describe() -> str:
    model = "?"
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as meminfo:
        memory_kib = int(meminfo.readline().split()[1])
    system = platform.freedesktop_os_release().get("PRETTY_NAME", platform.system())
    database = os.environ.get("BENCH_DATABASE_URL", "").split("@")[-1] or "SQLite files"
    return (
        f"{os.cpu_count()} CPUs ({model}), {memory_kib / 2**20:.0f} GiB, {system}, "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}; databases: {database}"
    )


def speed() -> str:
    """A fixed pure-Python workload, timed: the same machine type runs at different speeds on different days
    (a shared host), so every table says how fast this one was. 2026-12-04 on a quiet machine: 1.99 s."""
    started = time.perf_counter()
    total = 0
    for i in range(10_000_000):
        total += i
    return f"a 10,000,000-step Python loop took {time.perf_counter() - started:.2f} s"


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f}"


if __name__ == "__main__":
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    if sys.argv[1:] == ["end"]:
        print(f"\nEnded {now}, {load()}.")
    else:
        print(f"Run {now} on {describe()}; at the start, {load()}; {speed()}.\n")
        print(HEADER)
