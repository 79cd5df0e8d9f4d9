"""Daily work of operations (kedaitong.schedule): the backup set, then the audit chain's check."""

from __future__ import annotations

from kedaitong import schedule

# One consistent set of the database and the uploads, the oldest beyond BACKUP_KEEP_DAYS dropped.
schedule.daily_command("backup", at="02:00")
# Walk the audit trail's hash chain; its result shows on the admin's home page.
schedule.daily_command("audit_verify", at="03:00")
# The planner's statistics (SQLite has none until ANALYZE runs): the home pages' and ledgers' indexes are used.
schedule.daily_command("analyze_database", at="03:30")
