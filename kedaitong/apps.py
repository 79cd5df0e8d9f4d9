"""The shared app: users and roles, audit trail, calendar, money and document helpers."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KedaitongConfig(AppConfig):
    name = "kedaitong"
    verbose_name = _("Portal")

    def ready(self) -> None:
        from django.utils.module_loading import autodiscover_modules

        from kedaitong import checks  # noqa: F401  (registers the system checks)

        # Each app's tasks.py defines its background work (Tasks API, kedaitong.jobs.job_task)
        # and adds its daily work to kedaitong.schedule.
        autodiscover_modules("tasks")
