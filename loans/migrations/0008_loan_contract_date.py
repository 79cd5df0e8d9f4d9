"""The contract (signing) date of a loan (issue 16 item 8: Quzhou 一(六) 同期同档次).

Existing loans get contract date = disbursement date: that is the date their
LPR at pricing was looked up on, so their figures (LPR at pricing, subsidy
lines, exclusions) stay exactly as they were.
"""

from django.db import migrations, models
from django.db.models import F, Q


def same_as_disbursement(apps, schema_editor):
    Loan = apps.get_model("loans", "Loan")
    Loan.objects.filter(contract_date__isnull=True).update(contract_date=F("disbursement_date"))


class Migration(migrations.Migration):
    dependencies = [
        ("loans", "0007_upload_failed_state"),
    ]

    operations = [
        migrations.AddField(
            model_name="loan",
            name="contract_date",
            field=models.DateField(null=True, verbose_name="contract signing date"),
        ),
        migrations.RunPython(same_as_disbursement, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="loan",
            name="contract_date",
            field=models.DateField(verbose_name="contract signing date"),
        ),
        migrations.AddConstraint(
            model_name="loan",
            constraint=models.CheckConstraint(
                condition=Q(contract_date__lte=F("disbursement_date")),
                name="loan_contract_signed_by_disbursement",
            ),
        ),
    ]
