"""Daily work of risk compensation (kedaitong.schedule)."""

from __future__ import annotations

from kedaitong import schedule

# Write-off certificates past their due day (Changjiang 第十一条 4); a non-zero exit mails the ADMINS.
schedule.daily_command("compensation_late_certificates", at="08:00")
