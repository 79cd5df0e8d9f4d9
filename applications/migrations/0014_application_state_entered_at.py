"""Issue 20 item 2: when each application entered its current state, stored (the queue's age and review_overdue
read it instead of looking the audit trail up per row), with the queues' indexes.

The backfill gives each application the time of its latest audit row into its current state, as
review.selectors.with_entered_state read it until now; one without such a row keeps None (its age counts from
its submission, as before).
"""

from django.db import migrations, models
from django.db.models import CharField, Exists, OuterRef, Subquery
from django.db.models.functions import Cast


def entered_from_the_audit_trail(apps, schema_editor):
    db = schema_editor.connection.alias if schema_editor is not None else "default"
    Application = apps.get_model("applications", "Application")
    AuditEntry = apps.get_model("kedaitong", "AuditEntry")
    ContentType = apps.get_model("contenttypes", "ContentType")
    content_type = (
        ContentType.objects.using(db).filter(app_label="applications", model="application").first()
    )
    if content_type is None:  # a new database: no audit row names an application yet
        return
    latest = (
        AuditEntry.objects.using(db)
        .filter(
            content_type=content_type.pk,
            object_id=Cast(OuterRef("pk"), output_field=CharField()),
            to_state=OuterRef("state"),
        )
        .order_by("-at")
        .values("at")[:1]
    )
    Application.objects.using(db).filter(Exists(latest)).update(state_entered_at=Subquery(latest))


class Migration(migrations.Migration):

    dependencies = [
        ('applications', '0013_materialtype_supplied_by_bank'),
        ('loans', '0011_upload_via_api_and_reports'),
        ('kedaitong', '0010_issued_documents'),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    operations = [
        migrations.AddField(
            model_name='application',
            name='state_entered_at',
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name='entered its state at'),
        ),
        migrations.RunPython(entered_from_the_audit_trail, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name='application',
            index=models.Index(fields=['program_version', 'state', 'state_entered_at', 'submitted_at'], name='application_queue'),
        ),
        migrations.AddIndex(
            model_name='application',
            index=models.Index(fields=['bank', 'state'], name='application_bank_queue'),
        ),
        migrations.AddIndex(
            model_name='application',
            index=models.Index(fields=['state', 'state_entered_at'], name='application_state_entered'),
        ),
    ]
