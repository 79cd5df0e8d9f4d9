"""Quzhou 二: the bank's 同意放贷意见书 as it signed it, kept with its decision (optional; the portal prints one)."""

from django.db import migrations, models

import kedaitong.fields


class Migration(migrations.Migration):
    dependencies = [
        ("review", "0007_blacklist_program_and_status_fsm"),
    ]

    operations = [
        migrations.AddField(
            model_name="bankdecision",
            name="letter",
            field=models.FileField(
                blank=True,
                upload_to=kedaitong.fields.UploadTo("review/letters"),
                verbose_name="approval letter (同意放贷意见书)",
            ),
        ),
        migrations.AddField(
            model_name="bankdecision",
            name="letter_name",
            field=models.CharField(
                blank=True, max_length=200, verbose_name="approval letter file name"
            ),
        ),
    ]
