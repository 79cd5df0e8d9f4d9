"""Operations: backups that restore, the audit chain's daily check, and the history of money rows."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OperationsConfig(AppConfig):
    name = "operations"
    verbose_name = _("Operations")

    def ready(self) -> None:
        from django.db.backends.signals import connection_created
        from django.db.models.signals import post_migrate, pre_migrate

        from operations import history

        # Every connection learns where the actor of a change comes from (SQLite: a function the
        # triggers call; PostgreSQL: a setting sent with each write), and migrate keeps the
        # history triggers in step with the tables.
        connection_created.connect(history.on_connection_created, dispatch_uid="kd-history-conn")
        pre_migrate.connect(history.on_pre_migrate, sender=self, dispatch_uid="kd-history-pre")
        post_migrate.connect(history.on_post_migrate, sender=self, dispatch_uid="kd-history-post")
        history.attach_to_open_connections()
