"""Changjiang 附件2 第11项 “由合作银行出具，银行审核阶段补齐”: the bank uploads it at its review (issue 18 item 9).

Marks material 11 of every program of the Changjiang kind (as the kind's reference rows at the time:
programs/changjiang/reference.py SUPPLIED_BY_BANK).
"""

from django.db import migrations, models

SUPPLIED_BY_BANK = {
    "changjiang_kedaitong": [11]
}  # the kind code (kedaitong.programs) → 附件2 numbers


def load(apps, schema_editor):
    MaterialType = apps.get_model("applications", "MaterialType")
    for kind, numbers in SUPPLIED_BY_BANK.items():
        MaterialType.objects.filter(program__kind=kind, number__in=numbers).update(
            supplied_by_bank=True
        )


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0012_enterprise_directory_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="materialtype",
            name="supplied_by_bank",
            field=models.BooleanField(
                default=False, verbose_name="supplied by the bank at its review"
            ),
        ),
        migrations.RunPython(load, migrations.RunPython.noop),
    ]
