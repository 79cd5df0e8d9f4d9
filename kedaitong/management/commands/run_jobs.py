"""Run background jobs: a worker process for deployments with several machines."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand

from kedaitong import jobs


class Command(BaseCommand):
    help = "Run queued background jobs; with --once, run what is queued and stop."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--once", action="store_true", help="run the queued jobs, then exit")
        parser.add_argument("--sleep", type=float, default=2.0, help="seconds between polls")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["once"]:
            self.stdout.write(f"ran {jobs.run_pending()} job(s)")
            return
        while True:
            if jobs.run_pending() == 0:
                time.sleep(options["sleep"])
