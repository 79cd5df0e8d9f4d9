"""Enterprise accounts are confirmed by a program's bureau or a bank's invitation (issue 17).

Accounts from before the rule count as confirmed where the bureau or a bank has already dealt
with the enterprise: it submitted an application (the bureau saw its business licence among the
materials) or has a loan (the bank knows its borrower). Any other account must file its evidence.
"""

import kedaitong.fields
import django.db.models.deletion
import django_fsm
import uuid
from django.conf import settings
from django.db import migrations, models
from django.db.models import Q
from django.utils import timezone


def confirmed_by_the_record(apps, schema_editor):  # type: ignore[no-untyped-def]
    Enterprise = apps.get_model("applications", "Enterprise")
    Application = apps.get_model("applications", "Application")
    Loan = apps.get_model("loans", "Loan")
    submitted = Application.objects.filter(
        Q(submitted_at__isnull=False) | ~Q(state__in=["draft", "withdrawn"])
    ).values("enterprise")
    Enterprise.objects.filter(members__isnull=False).filter(
        Q(pk__in=submitted) | Q(pk__in=Loan.objects.values("enterprise"))
    ).update(account_confirmed_at=timezone.now())


class Migration(migrations.Migration):

    dependencies = [
        ('applications', '0008_enterprise_kedaitong_entry'),
        ('loans', '0005_one_loan_per_application_and_upload_rows'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='enterprise',
            name='account_confirmed_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='account confirmed at'),
        ),
        migrations.AddField(
            model_name='enterprise',
            name='account_confirmed_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='account confirmed by'),
        ),
        migrations.CreateModel(
            name='AccountClaim',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('public_id', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ('kind', models.CharField(choices=[('registration', 'Confirmation of a registration'), ('dispute', 'Dispute over a registered credit code'), ('bank_invitation', 'Invitation by a cooperating bank')], max_length=20, verbose_name='kind')),
                ('licence', models.FileField(blank=True, upload_to=kedaitong.fields.UploadTo('account-claims'), verbose_name='business licence')),
                ('licence_name', models.CharField(blank=True, max_length=200, verbose_name='file name')),
                ('authorization', models.FileField(blank=True, upload_to=kedaitong.fields.UploadTo('account-claims'), verbose_name='authorization letter')),
                ('authorization_name', models.CharField(blank=True, max_length=200, verbose_name='file name')),
                ('statement', models.TextField(blank=True, verbose_name='statement')),
                ('state', django_fsm.FSMField(choices=[('pending', 'Waiting for the bureau'), ('confirmed', 'Confirmed'), ('refused', 'Refused'), ('superseded', 'Superseded by a dispute')], default='pending', max_length=20, protected=True, verbose_name='state')),
                ('filed_at', models.DateTimeField(auto_now_add=True, verbose_name='filed at')),
                ('decided_at', models.DateTimeField(blank=True, null=True, verbose_name='decided at')),
                ('reason', models.TextField(blank=True, verbose_name='reason')),
                ('bank', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='account_invitations', to='loans.bank', verbose_name='inviting bank')),
                ('claimant', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='account_claims', to=settings.AUTH_USER_MODEL, verbose_name='claimant')),
                ('decided_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='decided by')),
                ('enterprise', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='account_claims', to='applications.enterprise', verbose_name='enterprise')),
                ('program', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='account_claims', to='applications.program', verbose_name='program whose bureau decides')),
            ],
            options={
                'verbose_name': 'account claim',
                'verbose_name_plural': 'account claims',
                'ordering': ['-filed_at', '-pk'],
                'constraints': [models.UniqueConstraint(condition=models.Q(('state', 'pending')), fields=('enterprise', 'claimant'), name='accountclaim_one_pending_per_claimant')],
            },
        ),
        migrations.RunPython(confirmed_by_the_record, migrations.RunPython.noop),
    ]
