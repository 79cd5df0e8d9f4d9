"""Daily work, run once per bureau day by whichever worker sees it due first.

Adding one is one call, in the app's `tasks.py` (found at start-up):

    schedule.daily_command("refresh_delinquency", at="00:30")   # a management command
    schedule.daily("backup", make_backup, at="02:00")            # a function returning its report

1. Every worker (`manage.py run_jobs`) calls `tick()` between tasks, at most
   every `SCHEDULE_TICK_SECONDS`.
2. For each entry whose time has come on the bureau's date (Asia/Shanghai:
   from 16:00 UTC it is already the next day), `tick` creates the
   `ScheduledRun(name, day)` row; its unique constraint lets one worker win,
   however many look at once. The winner enqueues the Task `run_scheduled`
   (Tasks API) after the commit.
3. `run_scheduled` runs the entry, keeps its exit status and output on the row
   (the admin lists them), and mails the site's ADMINS when the status is not 0,
   as cron mails a failing job's output.

A worker that was down at the entry's time runs it when it comes back, the
same day; a day with no worker at all is not caught up (each command works on
"today"). A run whose enqueue was lost (process killed between the commit and
the enqueue) is enqueued by the next tick.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import mail_admins
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_tasks import task

from kedaitong.models import ScheduledRun

log = logging.getLogger(__name__)

# A daily function returns (exit status, output); 0 is success.
DailyFunction = Callable[[], tuple[int, str]]


@dataclass(frozen=True)
class Daily:
    name: str
    at: dt.time  # bureau time of day after which it is due
    function: DailyFunction


REGISTRY: dict[str, Daily] = {}


def _time(at: str | dt.time) -> dt.time:
    return at if isinstance(at, dt.time) else dt.time.fromisoformat(at)


def daily(name: str, function: DailyFunction, *, at: str | dt.time) -> Daily:
    """Run `function` once per bureau day, at `at` (bureau time) or as soon after as a worker is up."""
    entry = Daily(name=name, at=_time(at), function=function)
    REGISTRY[name] = entry
    return entry


def daily_command(command: str, *args: str, at: str | dt.time, name: str = "") -> Daily:
    """Run `manage.py <command> <args>` once per bureau day; its output and exit status are kept."""

    def run() -> tuple[int, str]:
        out = io.StringIO()
        try:
            call_command(command, *args, stdout=out, stderr=out)
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 1
            return code, out.getvalue()
        except CommandError as error:
            return error.returncode, out.getvalue() + str(error)
        return 0, out.getvalue()

    return daily(name or command, run, at=at)


def tick(now: dt.datetime | None = None) -> list[ScheduledRun]:
    """Enqueue the entries due today that no worker has taken yet; returns the runs this call created."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    clock = timezone.localtime(now).time()
    taken = set(ScheduledRun.objects.filter(day=today).values_list("name", flat=True))
    created = []
    for entry in sorted(REGISTRY.values(), key=lambda e: (e.at, e.name)):
        if entry.name in taken or clock < entry.at:
            continue
        try:
            with transaction.atomic():
                run = ScheduledRun.objects.create(name=entry.name, day=today, enqueued_at=now)
                transaction.on_commit(lambda run=run: _enqueue(run))
        except IntegrityError:  # another worker took it a moment ago
            continue
        created.append(run)
    # Runs whose enqueue was lost between their commit and the enqueue.
    for run in ScheduledRun.objects.filter(
        task_id="", started_at=None, enqueued_at__lt=now - dt.timedelta(minutes=5)
    ):
        log.warning("scheduled run %s of %s was never enqueued; enqueued now", run.name, run.day)
        _enqueue(run)
    return created


def _enqueue(run: ScheduledRun) -> None:
    result = run_scheduled.enqueue(run.pk)
    ScheduledRun.objects.filter(pk=run.pk, task_id="").update(task_id=result.id)


@task()
def run_scheduled(run_id: int) -> int:
    """The Task that runs one day's entry and keeps what it said."""
    run = ScheduledRun.objects.get(pk=run_id)
    entry = REGISTRY.get(run.name)
    ScheduledRun.objects.filter(pk=run.pk).update(started_at=timezone.now())
    if entry is None:  # removed from the code since it was enqueued
        status, output = 2, f"no daily work named {run.name!r}"
    else:
        try:
            status, output = entry.function()
        except Exception as exc:
            ScheduledRun.objects.filter(pk=run.pk).update(
                finished_at=timezone.now(), exit_status=-1, output=f"{type(exc).__name__}: {exc}"
            )
            raise
    ScheduledRun.objects.filter(pk=run.pk).update(
        finished_at=timezone.now(), exit_status=status, output=output[-20000:]
    )
    if status != 0 and settings.ADMINS:
        mail_admins(f"{run.name} {run.day:%Y-%m-%d}: exit status {status}", output[-20000:])
    log.info("scheduled %s for %s: exit status %s", run.name, run.day, status)
    return status
