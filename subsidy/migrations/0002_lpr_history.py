"""Loads the LPR history since the 2019-08-20 reform (subsidy/data/lpr.csv, each value checked in two sources)."""

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path

from django.db import migrations

SOURCE = "全国银行间同业拆借中心公告"


def load(apps, schema_editor):
    LPRRate = apps.get_model("subsidy", "LPRRate")
    path = Path(__file__).resolve().parent.parent / "data" / "lpr.csv"
    with path.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            LPRRate.objects.get_or_create(
                effective_date=dt.date.fromisoformat(row["effective_date"]),
                defaults={
                    "one_year": Decimal(row["lpr_1y_percent"]),
                    "five_year": Decimal(row["lpr_5y_percent"]),
                    "source": SOURCE,
                },
            )


class Migration(migrations.Migration):
    dependencies = [("subsidy", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
