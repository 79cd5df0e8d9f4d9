from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class CompensationConfig(AppConfig):
    name = "compensation"
    verbose_name = _("Risk compensation")

    def ready(self) -> None:
        from compensation.signals import calendar_changed
        from kedaitong.models import CalendarDay, CalendarYear

        for model in (CalendarYear, CalendarDay):
            for name, signal in (("saved", post_save), ("deleted", post_delete)):
                signal.connect(
                    calendar_changed,
                    sender=model,
                    dispatch_uid=f"compensation.calendar.{model.__name__}.{name}",
                )
