"""`manage.py analyze_database`: refresh the query planner's statistics (daily, operations/tasks.py)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand
from django.db import connection


class Command(BaseCommand):
    help = (
        "Refresh the database's statistics, so that its planner reads the indexes that fit "
        "(SQLite keeps none until ANALYZE runs; PostgreSQL's autovacuum keeps them too)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        with connection.cursor() as cursor:
            # SQLite: without sqlite_stat1 the planner sorts a whole program's applications for a home page's
            # latest ten instead of reading the created_at index backwards (docs/decisions.md, issue 20).
            cursor.execute("ANALYZE")
        self.stdout.write(
            f"analyzed the {connection.vendor} database in {time.perf_counter() - started:.1f} s"
        )
