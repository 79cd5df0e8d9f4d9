"""A blacklist entry belongs to the program whose rule it applies (Changjiang 第九条) and whose bureau decides it;
its status changes only by transitions (django-fsm).

Existing entries take their loan's program; an entry without a loan takes the Changjiang-kind program of one of
the enterprise's applications, or the first Changjiang-kind program.
"""

import django.db.models.deletion
import django_fsm
from django.db import migrations, models

BLACKLIST_KIND = "changjiang_kedaitong"  # the kind whose rule (第九条) keeps a blacklist


def fill_program(apps, schema_editor):
    BlacklistEntry = apps.get_model("review", "BlacklistEntry")
    Program = apps.get_model("applications", "Program")
    Application = apps.get_model("applications", "Application")
    fallback = Program.objects.filter(kind=BLACKLIST_KIND).order_by("pk").first()
    for entry in BlacklistEntry.objects.filter(program__isnull=True):
        program_id = None
        if entry.loan_id:
            program_id = entry.loan.program_version.program_id
        if program_id is None:
            application = (
                Application.objects.filter(
                    enterprise=entry.enterprise_id, program_version__program__kind=BLACKLIST_KIND
                )
                .order_by("pk")
                .first()
            )
            program_id = application.program_version.program_id if application else None
        if program_id is None and fallback is not None:
            program_id = fallback.pk
        BlacklistEntry.objects.filter(pk=entry.pk).update(program=program_id)


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0010_program_kinds_and_quzhou_states"),
        ("loans", "0005_one_loan_per_application_and_upload_rows"),
        ("review", "0006_notification_moved_to_core"),
    ]

    operations = [
        migrations.AddField(
            model_name="blacklistentry",
            name="program",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="blacklist_entries",
                to="applications.program",
                verbose_name="program",
            ),
        ),
        migrations.RunPython(fill_program, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="blacklistentry",
            name="program",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="blacklist_entries",
                to="applications.program",
                verbose_name="program",
            ),
        ),
        migrations.AlterField(
            model_name="blacklistentry",
            name="status",
            field=django_fsm.FSMField(
                choices=[
                    ("proposed", "Proposed"),
                    ("listed", "Listed"),
                    ("exempted", "Exempted (force majeure)"),
                    ("lifted", "Lifted"),
                    ("dismissed", "Proposal dismissed"),
                ],
                default="proposed",
                max_length=10,
                protected=True,
                verbose_name="status",
            ),
        ),
    ]
