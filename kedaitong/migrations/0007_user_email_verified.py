"""Users' e-mail addresses are verified (issue 17); users who had a password before the rule count as verified."""

from django.db import migrations, models
from django.db.models import F


def verified_before_the_rule(apps, schema_editor):  # type: ignore[no-untyped-def]
    # An account that set a password has used the portal already; an invitation never
    # answered (unusable password, "!…") has proven nothing.
    User = apps.get_model("kedaitong", "User")
    User.objects.exclude(password__startswith="!").update(email_verified_at=F("date_joined"))


class Migration(migrations.Migration):

    dependencies = [
        ('kedaitong', '0006_tasks_api'),
    ]

    operations = [
        migrations.AddField(
            model_name='user',
            name='email_verified_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='e-mail address verified at'),
        ),
        migrations.RunPython(verified_before_the_rule, migrations.RunPython.noop),
    ]
