from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Ledgers and dashboards")

    def ready(self) -> None:
        from reports import tallies

        tallies.connect()  # the dashboards' tallies follow every change (reports/tallies.py)
