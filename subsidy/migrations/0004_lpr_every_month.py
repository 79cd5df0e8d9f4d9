"""The LPR table holds every monthly publication, changed or not (so a missing month can be told from "no change").

0002 loads subsidy/data/lpr.csv as it is now; on a database that loaded the
earlier changes-only file this adds the unchanged months (a month that already
has a publication, e.g. imported by an admin, is left as it is).
"""

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path

from django.db import migrations

SOURCE = "全国银行间同业拆借中心公告"


def load(apps, schema_editor):
    LPRRate = apps.get_model("subsidy", "LPRRate")
    have = {(d.year, d.month) for d in LPRRate.objects.values_list("effective_date", flat=True)}
    path = Path(__file__).resolve().parent.parent / "data" / "lpr.csv"
    with path.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            day = dt.date.fromisoformat(row["effective_date"])
            if (day.year, day.month) in have:
                continue
            LPRRate.objects.create(
                effective_date=day,
                one_year=Decimal(row["lpr_1y_percent"]),
                five_year=Decimal(row["lpr_5y_percent"]),
                source=SOURCE,
            )


class Migration(migrations.Migration):
    dependencies = [("subsidy", "0003_runs_filings_fraud")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
