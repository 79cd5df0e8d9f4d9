"""Daily work: once per bureau day (Asia/Shanghai), whichever worker sees it due first, output and exit status kept."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import time_machine
from django.core import mail
from django_tasks_db.models import DBTaskResult

from kedaitong import schedule
from kedaitong.models import ScheduledRun
from tests.conftest import DATABASE_TASKS

UTC = dt.UTC


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


def tick_at(text: str, capture) -> list[ScheduledRun]:
    """A worker's tick with the clock standing at `text` (UTC): the daily commands see that bureau day too."""
    with time_machine.travel(at(text), tick=False), capture(execute=True):
        return schedule.tick()


@pytest.fixture
def no_backup_in_ticks(monkeypatch):
    """The ticks below run the project's daily commands inside the test's transaction; the backup and
    the audit walk have tests of their own (tests/operations), and a SQLite backup cannot copy a
    database its own connection is writing to."""
    for name in ("backup", "audit_verify"):
        if name in schedule.REGISTRY:
            monkeypatch.delitem(schedule.REGISTRY, name)


@pytest.fixture
def extra_daily():
    """Daily entries a test adds, taken out again afterwards."""
    added: list[str] = []

    def add(name: str, function, when: str) -> None:
        schedule.daily(name, function, at=when)
        added.append(name)

    yield add
    for name in added:
        schedule.REGISTRY.pop(name, None)


def test_the_projects_daily_commands_are_registered():
    assert {
        "refresh_delinquency": dt.time(0, 30),
        "loan_maturity_reminders": dt.time(8, 0),
        "review_overdue": dt.time(8, 0),
        "compensation_late_certificates": dt.time(8, 0),
        "backup": dt.time(2, 0),
        "audit_verify": dt.time(3, 0),
        "analyze_database": dt.time(3, 30),
        "changjiang_daily": dt.time(1, 0),
    }.items() <= {name: entry.at for name, entry in schedule.REGISTRY.items()}.items()


@pytest.mark.django_db
@pytest.mark.usefixtures("no_backup_in_ticks")
def test_daily_work_runs_once_a_bureau_day_from_its_time(django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    # 2026-03-01 16:29 UTC is 00:29 on 2 March in Shanghai: refresh_delinquency (00:30) is not due yet.
    assert tick_at("2026-03-01T16:29:00", capture) == []
    assert not ScheduledRun.objects.exists()
    runs = tick_at("2026-03-01T16:31:00", capture)
    assert [(r.name, r.day) for r in runs] == [("refresh_delinquency", dt.date(2026, 3, 2))]
    run = ScheduledRun.objects.get()
    assert run.exit_status == 0 and "笔贷款" in run.output and run.task_id
    assert run.started_at == at("2026-03-01T16:31:00")
    assert run.started_at and run.finished_at
    # Later the same bureau day: refresh_delinquency is not run again; the 08:00 entries are due.
    later = tick_at("2026-03-02T01:00:00", capture)
    assert sorted(r.name for r in later) == [
        "analyze_database",
        "changjiang_daily",
        "compensation_late_certificates",
        "loan_maturity_reminders",
        "review_overdue",
    ]
    assert tick_at("2026-03-02T15:59:00", capture) == []
    assert ScheduledRun.objects.filter(name="refresh_delinquency").count() == 1
    review = ScheduledRun.objects.get(name="review_overdue")
    assert review.exit_status == 0 and "waiting longer than 5 days" in review.output
    # The next bureau day starts at 16:00 UTC.
    next_day = tick_at("2026-03-02T16:45:00", capture)
    assert [(r.name, r.day) for r in next_day] == [("refresh_delinquency", dt.date(2026, 3, 3))]


@pytest.mark.django_db
@pytest.mark.usefixtures("no_backup_in_ticks")
def test_a_non_zero_exit_is_kept_and_mailed_to_the_admins(
    settings, extra_daily, django_capture_on_commit_callbacks
):
    settings.ADMINS = [("运维", "ops@example.gov.cn")]
    extra_daily("tests.late", lambda: (1, "核销凭据逾期2笔"), "09:00")
    tick_at("2026-03-02T01:30:00", django_capture_on_commit_callbacks)  # 09:30 in Shanghai
    run = ScheduledRun.objects.get(name="tests.late")
    assert (run.exit_status, run.output) == (1, "核销凭据逾期2笔")
    (message,) = [m for m in mail.outbox if "tests.late" in m.subject]
    assert message.to == ["ops@example.gov.cn"] and "核销凭据逾期2笔" in message.body
    assert "2026-03-02" in message.subject


@pytest.mark.django_db
@pytest.mark.usefixtures("no_backup_in_ticks")
def test_a_failing_daily_function_is_recorded(extra_daily, django_capture_on_commit_callbacks):
    def broken() -> tuple[int, str]:
        raise RuntimeError("磁盘已满")

    extra_daily("tests.broken", broken, "09:00")
    tick_at("2026-03-02T01:30:00", django_capture_on_commit_callbacks)
    run = ScheduledRun.objects.get(name="tests.broken")
    assert (run.exit_status, run.output) == (-1, "RuntimeError: 磁盘已满") and run.finished_at


@pytest.mark.django_db
@pytest.mark.usefixtures("no_backup_in_ticks")
def test_a_run_whose_enqueue_was_lost_is_enqueued_by_the_next_tick(
    settings, django_capture_on_commit_callbacks
):
    settings.TASKS = DATABASE_TASKS
    lost = ScheduledRun.objects.create(
        name="refresh_delinquency", day=dt.date(2026, 3, 2), enqueued_at=at("2026-03-01T16:30:00")
    )
    tick_at("2026-03-01T16:40:00", django_capture_on_commit_callbacks)
    lost.refresh_from_db()
    task = DBTaskResult.objects.get()
    assert lost.task_id == str(task.pk) and task.args_kwargs["args"] == [lost.pk]
    assert ScheduledRun.objects.count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("no_backup_in_ticks")
def test_workers_ticking_at_once_enqueue_each_entry_once(settings):
    """Eight workers see the 08:00 entries due at the same moment: one run and one task per entry."""
    settings.TASKS = DATABASE_TASKS
    now = at("2026-03-02T00:05:00")  # 08:05 in Shanghai
    start = threading.Barrier(8)
    created: list[str] = []
    errors: list[BaseException] = []

    def worker() -> None:
        from django.db import connection

        try:
            start.wait()
            created.extend(run.name for run in schedule.tick(now))
        except BaseException as exc:  # pragma: no cover - shown by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    due = sorted(name for name, e in schedule.REGISTRY.items() if e.at <= dt.time(8, 5))
    assert sorted(created) == due
    assert sorted(ScheduledRun.objects.values_list("name", flat=True)) == due
    assert DBTaskResult.objects.count() == len(due)
