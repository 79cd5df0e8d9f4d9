"""Daily work of the Changjiang kind: open recovery cases for loans unpaid at maturity (第七条) and, at a quarter's
start, tell the office of banks below their pro-rata credit plan (第五条). kedaitong/schedule.py runs it."""

from kedaitong import schedule

schedule.daily_command("changjiang_daily", at="01:00")
