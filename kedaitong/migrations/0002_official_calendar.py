"""Loads the official holiday arrangements 2004–2026 (国务院办公厅通知, as compiled by chinesecalendar 1.11.0).

The data sits in kedaitong/data/holidays.csv so that every database gets the
same rows whatever library version is installed; later years are added by
admins in the calendar admin pages.
"""

import csv
import datetime as dt
from pathlib import Path

from django.db import migrations

SOURCE = "国务院办公厅节假日安排通知（chinesecalendar 1.11.0 整理）"


def load(apps, schema_editor):
    CalendarDay = apps.get_model("kedaitong", "CalendarDay")
    CalendarYear = apps.get_model("kedaitong", "CalendarYear")
    path = Path(__file__).resolve().parent.parent / "data" / "holidays.csv"
    with path.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    CalendarDay.objects.bulk_create(
        [CalendarDay(date=dt.date.fromisoformat(r["date"]), kind=r["kind"], name=r["name"]) for r in rows],
        ignore_conflicts=True,
    )
    years = sorted({int(r["date"][:4]) for r in rows})
    CalendarYear.objects.bulk_create(
        [CalendarYear(year=y, source=SOURCE) for y in range(years[0], years[-1] + 1)], ignore_conflicts=True
    )


class Migration(migrations.Migration):
    dependencies = [("kedaitong", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
