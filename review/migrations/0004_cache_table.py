"""The database cache's table (settings.CACHES, default backend), so several web processes share one cache.

`createcachetable` creates the table of every DatabaseCache in CACHES and does
nothing for other backends, or when the table exists.
"""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):  # type: ignore[no-untyped-def]
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("review", "0003_blacklist_decision")]

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
