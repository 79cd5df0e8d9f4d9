from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApplicationsConfig(AppConfig):
    name = "applications"
    verbose_name = _("Programs, enterprises and applications")

    def ready(self) -> None:
        from applications import signals  # noqa: F401  (a program's reference rows; the state's entry date)
