"""The background worker: django-tasks-db's worker loop, plus what a portal with one database needs.

`manage.py run_jobs` runs it. Over the library's `db_worker` it adds:

1. **It survives the database.** A restarted or unreachable database
   ("terminating connection due to administrator command", connection refused)
   makes the library's loop raise and the process exit, and queued work waited
   for someone to restart it. Here every database error outside a task closes
   the worker's connections, waits (1 s, doubling up to `max_backoff`, with
   jitter so several workers do not return at once) and tries again; a locked
   SQLite database is simply retried.
2. **Work whose worker died is queued again** (`kedaitong.jobs.requeue_stale`),
   checked at most every `housekeeping_seconds`.
3. **Daily work** (`kedaitong.schedule.tick`) on the same beat.

The claim is the library's: `SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL,
an exclusive transaction on SQLite, so two workers never take the same task.
"""

from __future__ import annotations

import logging
import random
import time

from django.db import DatabaseError, close_old_connections, connections
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import Worker as DatabaseWorker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from kedaitong import jobs, schedule

log = logging.getLogger(__name__)


class Worker(DatabaseWorker):
    def __init__(
        self,
        *,
        queue_names: list[str] | None = None,
        interval: float = 1.0,
        batch: bool = False,
        backend_name: str = "default",
        startup_delay: bool = True,
        max_tasks: int | None = None,
        worker_id: str = "",
        excluded_queue_names: list[str] | None = None,
        max_backoff: float = 30.0,
        housekeeping_seconds: float = 10.0,
        scheduler: bool = True,
    ) -> None:
        super().__init__(
            queue_names=queue_names or ["default"],
            interval=interval,
            batch=batch,
            backend_name=backend_name,
            startup_delay=startup_delay,
            max_tasks=max_tasks,
            worker_id=worker_id or get_random_string(32),
            excluded_queue_names=excluded_queue_names or [],
        )
        self.max_backoff = max_backoff
        self.housekeeping_seconds = housekeeping_seconds
        self.scheduler = scheduler
        self._housekept_at = float("-inf")
        self.failures = 0  # database errors in a row

    def run(self) -> None:
        try:
            self._loop()
        finally:
            connections.close_all()

    def _loop(self) -> None:
        log.info("worker %s: queues %s", self.worker_id, ",".join(self.queue_names))
        if self.startup_delay and self.interval:
            time.sleep(random.random())  # noqa: S311 - spread workers started together
        while self.running:
            try:
                close_old_connections()
                self.housekeeping()
                task_result = self.claim()
                if task_result is not None:
                    self.run_task(task_result)
            except DatabaseError as exc:
                if is_locked_database_exception(exc):
                    time.sleep(self.interval)
                    continue
                self.back_off(exc)
                continue
            if self.failures:
                log.warning("worker %s: database reachable again", self.worker_id)
                self.failures = 0
            if task_result is None and self.batch:
                log.info("worker %s: nothing left to run", self.worker_id)
                return
            if self.max_tasks is not None and self._run_tasks >= self.max_tasks:
                return
            close_old_connections()
            if self.running and task_result is None:
                time.sleep(self.interval)

    def claim(self) -> DBTaskResult | None:
        """The library's claim: the first ready task of our queues, locked and marked as ours."""
        tasks = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
        if not self.process_all_queues:
            tasks = tasks.filter(queue_name__in=self.queue_names)
        if self.excluded_queue_names:
            tasks = tasks.exclude(queue_name__in=self.excluded_queue_names)
        with exclusive_transaction(tasks.db):
            task_result = tasks.get_locked()
            if task_result is not None:
                task_result.claim(self.worker_id)
        return task_result

    def housekeeping(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._housekept_at < self.housekeeping_seconds:
            return
        jobs.requeue_stale()
        if self.scheduler:
            schedule.tick()
        self._housekept_at = now

    def back_off(self, exc: DatabaseError) -> None:
        self.failures += 1
        delay = min(self.max_backoff, 2 ** (self.failures - 1)) * (0.75 + random.random() / 2)  # noqa: S311
        log.warning(
            "worker %s: database error (%s); retry %d in %.1f s",
            self.worker_id,
            str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__,
            self.failures,
            delay,
        )
        for connection in connections.all(initialized_only=True):
            try:
                connection.close()
            except DatabaseError:
                pass
        time.sleep(delay)
