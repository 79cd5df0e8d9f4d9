"""Program kinds come from the registry (kedaitong.programs); applications get the states of Quzhou 二's report to the
bureau; the Quzhou 附件1 record is reached as `application.details` (a kind-neutral name)."""

import django.db.models.deletion
import django_fsm
from django.db import migrations, models

import kedaitong.programs


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0009_account_confirmation"),
    ]

    operations = [
        migrations.AlterField(
            model_name="application",
            name="state",
            field=django_fsm.FSMField(
                choices=[
                    ("draft", "Draft"),
                    ("submitted", "Submitted"),
                    ("returned", "Returned for changes"),
                    ("bureau_review", "Bureau review"),
                    ("group_review", "Leading group review"),
                    ("bank_review", "Bank review"),
                    ("publicity", "Publicity"),
                    ("credit_granted", "Credit granted"),
                    ("disbursed", "Disbursed"),
                    ("reported", "Reported to the bureau"),
                    ("correction_requested", "Correction requested by the bureau"),
                    ("acknowledged", "Acknowledged by the bureau"),
                    ("rejected", "Rejected"),
                    ("withdrawn", "Withdrawn"),
                ],
                db_index=True,
                default="draft",
                max_length=20,
                protected=True,
                verbose_name="state",
            ),
        ),
        migrations.AlterField(
            model_name="program",
            name="kind",
            field=models.CharField(
                choices=kedaitong.programs.kind_choices, max_length=30, verbose_name="rule set"
            ),
        ),
        migrations.AlterField(
            model_name="quzhoudetails",
            name="application",
            field=models.OneToOneField(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="details",
                to="applications.application",
                verbose_name="application",
            ),
        ),
    ]
