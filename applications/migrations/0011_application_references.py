"""References people can read out (issue 18): a prefix per program, a gap-free counter per program and year.

1. `Program.reference_prefix`: the first district of each kind gets its kind's letters (昌江 CJ, 衢州 QZ); any
   other program its code's first letters in capitals, made unique with a digit-free suffix if needed
   (an administrator can change it in the admin site).
2. `Application.reference` may be empty: a draft has none until it is submitted. The references of drafts
   (random CJ-37DBF18E, never printed on a submitted form) are cleared so that they are numbered at
   submission; every reference of an application already submitted is kept as it is, since it is printed on
   its kept PDF, in the batch zips and in the ledgers.
3. `ReferenceCounter`: one row per program and year, locked by each submission.
"""

import django.core.validators
import django.db.models.deletion
from django.db import migrations, models

# The kinds' first districts' letters (kedaitong.programs.KindSpec.reference_prefix when this was written).
KIND_PREFIX = {"changjiang_kedaitong": "CJ", "quzhou_coop_loan": "QZ"}


def prefixes(apps, schema_editor):
    Program = apps.get_model("applications", "Program")
    taken: set[str] = set()
    for program in Program.objects.order_by("pk"):
        wanted = KIND_PREFIX.get(program.kind, "")
        if not wanted or wanted in taken:
            letters = "".join(c for c in program.code.upper() if "A" <= c <= "Z") or "P"
            wanted = letters[:2] if len(letters) >= 2 else (letters + "X")[:2]
        candidate, n = wanted, 0
        while candidate in taken:
            n += 1
            candidate = (wanted + "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[n % 26])[:8]
        taken.add(candidate)
        program.reference_prefix = candidate
        program.save(update_fields=["reference_prefix"])


def clear_draft_references(apps, schema_editor):
    Application = apps.get_model("applications", "Application")
    Application.objects.filter(state="draft").update(reference=None)


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0010_program_kinds_and_quzhou_states"),
    ]

    operations = [
        migrations.AddField(
            model_name="program",
            name="reference_prefix",
            field=models.CharField(max_length=8, null=True, verbose_name="reference prefix"),
        ),
        migrations.RunPython(prefixes, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="program",
            name="reference_prefix",
            field=models.CharField(
                help_text="Application references are this prefix, the year of submission and a number: CJ-2026-0007.",
                max_length=8,
                unique=True,
                validators=[
                    django.core.validators.RegexValidator(
                        "^[A-Z]{2,8}$", "Two to eight capital Latin letters, e.g. CJ."
                    )
                ],
                verbose_name="reference prefix",
            ),
        ),
        migrations.AlterField(
            model_name="application",
            name="reference",
            field=models.CharField(
                blank=True, max_length=30, null=True, unique=True, verbose_name="reference"
            ),
        ),
        migrations.RunPython(clear_draft_references, migrations.RunPython.noop),
        migrations.CreateModel(
            name="ReferenceCounter",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("year", models.PositiveSmallIntegerField(verbose_name="year")),
                ("last", models.PositiveIntegerField(default=0, verbose_name="last number given")),
                (
                    "program",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="reference_counters",
                        to="applications.program",
                        verbose_name="program",
                    ),
                ),
            ],
            options={
                "verbose_name": "reference counter",
                "verbose_name_plural": "reference counters",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("program", "year"), name="referencecounter_one_per_year"
                    )
                ],
            },
        ),
    ]
