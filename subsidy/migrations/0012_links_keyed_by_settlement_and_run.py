"""The settlement links keyed by (settlement, run), without a surrogate id (issue 20 item 3).

Django cannot change a table's primary key to a composite one, so the links move to a new table with
that key, their rows copied over, and the new table takes the old one's name. The reverse copies them
back into a table with an id.
"""

import django.db.models.deletion
from django.db import migrations, models

COPY = (
    "INSERT INTO {to} (run_id, line_id, settlement_id) "
    "SELECT run_id, line_id, settlement_id FROM {source}"
)


class Migration(migrations.Migration):
    dependencies = [
        ("loans", "0012_latest_loans_index"),
        ("subsidy", "0011_lines_run_and_bank_checked_by_construction"),
    ]

    operations = [
        migrations.CreateModel(
            name="SubsidizedSettlementByKey",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "settlement",
                        "run",
                        blank=True,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                (
                    "run",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="subsidy.subsidyrun",
                    ),
                ),
                (
                    "line",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="subsidy.subsidyline",
                    ),
                ),
                (
                    "settlement",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="loans.interestsettlement",
                    ),
                ),
            ],
            options={
                "verbose_name": "subsidized interest settlement",
                "verbose_name_plural": "subsidized interest settlements",
            },
        ),
        migrations.RunSQL(
            COPY.format(
                to="subsidy_subsidizedsettlementbykey", source="subsidy_subsidizedsettlement"
            ),
            reverse_sql=COPY.format(
                to="subsidy_subsidizedsettlement", source="subsidy_subsidizedsettlementbykey"
            ),
        ),
        migrations.DeleteModel(name="SubsidizedSettlement"),
        migrations.RenameModel(
            old_name="SubsidizedSettlementByKey", new_name="SubsidizedSettlement"
        ),
        migrations.AlterField(
            model_name="subsidizedsettlement",
            name="line",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="settlements",
                to="subsidy.subsidyline",
            ),
        ),
        migrations.AlterField(
            model_name="subsidizedsettlement",
            name="settlement",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="subsidy_links",
                to="loans.interestsettlement",
            ),
        ),
    ]
