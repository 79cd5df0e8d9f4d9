"""The inbox model now lives in the core (kedaitong 0005); the table stays, so this only drops it from review's state."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("kedaitong", "0008_notification_moved_to_core"),
        ("review", "0005_blacklist_public_id"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="Notification")],
            database_operations=[],
        ),
    ]
