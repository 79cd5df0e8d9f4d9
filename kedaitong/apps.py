"""The shared app: users and roles, audit trail, calendar, money and document helpers."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KedaitongConfig(AppConfig):
    name = "kedaitong"
    verbose_name = _("Portal")

    def ready(self) -> None:
        from django.utils.module_loading import autodiscover_modules

        from kedaitong import checks  # noqa: F401  (registers the system checks)

        # Each app's tasks.py registers its background job functions (kedaitong.jobs.register).
        autodiscover_modules("tasks")

        # A web process starts its job runner at its first request (thread mode), so a job left queued or stale
        # by a restart is picked up without waiting for someone to queue another one.
        from django.core.signals import request_started

        from kedaitong import jobs

        request_started.connect(jobs.on_first_request, dispatch_uid="kedaitong-jobs-first-request")
