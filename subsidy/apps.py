from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SubsidyConfig(AppConfig):
    name = "subsidy"
    verbose_name = _("LPR and interest subsidy")

    def ready(self) -> None:
        # Inputs of an audited run are frozen (subsidy/guards.py).
        from subsidy import guards

        guards.connect()
