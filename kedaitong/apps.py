"""The shared app: users and roles, audit trail, calendar, money and document helpers."""

from axes.apps import AppConfig as AxesConfig
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django_tasks_db.apps import TasksAppConfig


class KedaitongConfig(AppConfig):
    default = True  # this module holds another app's config too (TaskResultsConfig)
    name = "kedaitong"
    verbose_name = _("Portal")

    def ready(self) -> None:
        from django.utils.module_loading import autodiscover_modules

        from kedaitong import checks  # noqa: F401  (registers the system checks)
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
