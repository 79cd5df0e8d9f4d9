"""The shared app: users and roles, audit trail, calendar, money and document helpers."""

from axes.apps import AppConfig as AxesConfig
from django.apps import AppConfig
from django.contrib.staticfiles.apps import StaticFilesConfig as BaseStaticFilesConfig
from django.utils.translation import gettext_lazy as _
from django_tasks_db.apps import TasksAppConfig


class KedaitongConfig(AppConfig):
    default = True  # this module holds another app's config too (TaskResultsConfig)
    name = "kedaitong"
    verbose_name = _("Portal")

    def ready(self) -> None:
        from django.utils.module_loading import autodiscover_modules

        from kedaitong import (
            checks,  # noqa: F401  (registers the system checks)
            db,  # noqa: F401  (registers the `holds` lookup)
        )
        from kedaitong.fsm import install_historical_models_fix, install_refresh_lock

        install_refresh_lock()  # django-fsm-2's refresh_from_db, one thread at a time (see kedaitong/fsm.py)
        install_historical_models_fix()  # migrate's historical models collect no transitions (same file)

        # Each app's tasks.py defines its background work (Tasks API, kedaitong.jobs.job_task)
        # and adds its daily work to kedaitong.schedule.
        autodiscover_modules("tasks")


class TaskResultsConfig(TasksAppConfig):
    """django-tasks-db's app (the queue of background work) under a Chinese name in the admin."""

    verbose_name = _("Background task queue")


class FailedLoginsConfig(AxesConfig):
    """django-axes (failed logins and lock-outs, docs/security.md) under a Chinese name in the admin."""

    verbose_name = _("Failed logins")

    def ready(self) -> None:
        super().ready()
        # The admin names each row by str() (the changelist's checkbox label, the delete page):
        # django-axes' own strings are English f-strings, so its three records get ours.
        from axes.models import AccessAttempt, AccessFailureLog, AccessLog

        AccessAttempt.__str__ = _attempt_str  # type: ignore[method-assign]
        AccessFailureLog.__str__ = _failure_str  # type: ignore[method-assign]
        AccessLog.__str__ = _log_str  # type: ignore[method-assign]


def _when(moment: object) -> str:
    from django.utils import timezone

    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S") if moment else "—"  # type: ignore[arg-type]


def _attempt_str(self) -> str:  # type: ignore[no-untyped-def]
    return str(_("Failed logins of %(user)s since %(at)s")) % {
        "user": self.username or "—",
        "at": _when(self.attempt_time),
    }


def _failure_str(self) -> str:  # type: ignore[no-untyped-def]
    return str(_("Failed login of %(user)s at %(at)s")) % {
        "user": self.username or "—",
        "at": _when(self.attempt_time),
    }


def _log_str(self) -> str:  # type: ignore[no-untyped-def]
    return str(_("Login of %(user)s at %(at)s")) % {
        "user": self.username or "—",
        "at": _when(self.attempt_time),
    }


class StaticFilesConfig(BaseStaticFilesConfig):
    """collectstatic leaves out django-ninja's ReDoc viewer (0.9 MB and a 3.3 MB source map): the API's
    documentation page is Swagger UI (api/v1.py), so nothing names it."""

    ignore_patterns = [
        *BaseStaticFilesConfig.ignore_patterns,
        "redoc.standalone.js",
        "redoc.standalone.js.map",
    ]
