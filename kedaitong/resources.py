"""Spreadsheet import and export of the official calendar in the admin (kedaitong.reference_io)."""

from __future__ import annotations

from typing import Any

from import_export import fields

from kedaitong import reference_io as io
from kedaitong.models import CalendarDay, CalendarYear

# The calendar's kinds as the bureau writes them (kedaitong/data/holidays.csv has holiday/workday).
KIND_WORDS = {"节假日": CalendarDay.Kind.HOLIDAY, "调休工作日": CalendarDay.Kind.WORKDAY}


def _kind(value: Any) -> str:
    word = io.cells.text(value, max_length=10)
    if word in KIND_WORDS:
        return KIND_WORDS[word]
    if word in CalendarDay.Kind.values:
        return word
    raise ValueError(f"“{word}”应填“节假日”或“调休工作日”")


class KindWidget(io.CellWidget):
    def __init__(self) -> None:
        super().__init__(_kind)

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> Any:
        return {v: k for k, v in KIND_WORDS.items()}.get(value, value or "")


class CalendarDayResource(io.ReferenceResource):
    """A day off on a weekday or a worked weekend day (国务院办公厅通知); saving one moves write-off due days."""

    date = fields.Field("date", "日期", widget=io.date())
    kind = fields.Field("kind", "类型", widget=KindWidget())
    name = fields.Field("name", "名称", widget=io.text(50, required=False))
    optional_headers = ("名称",)

    class Meta:
        model = CalendarDay
        fields = ("date", "kind", "name")
        import_id_fields = ("date",)
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True


class CalendarYearResource(io.ReferenceResource):
    year = fields.Field("year", "年度", widget=io.CellWidget(lambda v: _year(v)))
    source = fields.Field("source", "来源", widget=io.text(200, required=False))
    optional_headers = ("来源",)

    class Meta:
        model = CalendarYear
        fields = ("year", "source")
        import_id_fields = ("year",)
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True


def _year(value: Any) -> int:
    text = io.cells.text(value, max_length=4)
    if not (text.isdigit() and 2000 <= int(text) <= 2100):
        raise ValueError(f"“{text}”不是年份（2000–2100）")
    return int(text)
