"""Blacklist entries are addressed by a UUID in URLs, like every other record (not by their database id).

Three steps, as a unique UUID needs on a table that has rows: add it nullable, give each
existing row its own value, then make it unique and required.
"""

import uuid

from django.db import migrations, models


def fill(apps, schema_editor):
    BlacklistEntry = apps.get_model("review", "BlacklistEntry")
    for entry in BlacklistEntry.objects.filter(public_id__isnull=True).only("pk"):
        BlacklistEntry.objects.filter(pk=entry.pk).update(public_id=uuid.uuid4())


class Migration(migrations.Migration):
    dependencies = [("review", "0004_cache_table")]

    operations = [
        migrations.AddField(model_name="blacklistentry", name="public_id", field=models.UUIDField(editable=False, null=True)),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="blacklistentry", name="public_id",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
    ]
