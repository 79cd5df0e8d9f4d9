"""`manage.py run_jobs`: the background worker (kedaitong.worker), on one machine or many sharing the database."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser
from django.utils.autoreload import run_with_reloader
from django_tasks_db.management.commands.db_worker import Command as DatabaseWorkerCommand

from kedaitong.worker import Worker


class Command(DatabaseWorkerCommand):
    help = (
        "Run background jobs and the daily schedule; survives database restarts. "
        "With --once, run what is queued and stop."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        # Reloading on code changes is for `make run` only (--reload): a reloader's child
        # process would outlive a worker killed from outside.
        parser.set_defaults(reload=False)
        parser.add_argument("--once", action="store_true", dest="batch", help="the same as --batch")
        parser.add_argument(
            "--no-schedule",
            action="store_false",
            dest="scheduler",
            help="do not run the daily schedule in this worker",
        )
        parser.add_argument(
            "--max-backoff",
            type=float,
            default=30.0,
            help="longest wait, in seconds, between tries while the database is unreachable",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self.configure_logging(options["verbosity"])
        queue_names = options["queue_name"].split(",")
        excluded = options["exclude_queues"].split(",") if options["exclude_queues"] else []
        worker = Worker(
            queue_names=queue_names,
            interval=options["interval"],
            batch=options["batch"],
            backend_name=options["backend_name"],
            startup_delay=options["startup_delay"],
            max_tasks=options["max_tasks"],
            worker_id=options["worker_id"],
            excluded_queue_names=excluded,
            max_backoff=options["max_backoff"],
            scheduler=options["scheduler"],
        )
        if options["reload"] and not options["batch"]:
            import os

            from django.utils.autoreload import DJANGO_AUTORELOAD_ENV

            if os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
                worker.configure_signals()
            run_with_reloader(worker.run)
        else:
            worker.configure_signals()
            worker.run()
