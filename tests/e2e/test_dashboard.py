"""Issue 18 item 10 in a real browser: counts are ticked in whole numbers, the period filter redraws the charts,
a bad date is refused in Chinese and kept, and no inline script is needed (the CSP stays strict)."""

from __future__ import annotations

import datetime as dt

import pytest

from applications.models import Application
from tests.e2e.conftest import RESULTS

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_dashboard_ticks_counts_in_whole_numbers_and_filters_by_period(new_page, cast):
    # Three applications submitted in three months: a count axis of 0..1 would tick 0.1, 0.2 ... by default.
    for application, month in ((cast.application_a, 9), (cast.application_b, 11)):
        Application.objects.filter(pk=application.pk).update(
            submitted_at=dt.datetime(2026, month, 3, 2, tzinfo=dt.UTC)
        )
    errors: list[str] = []
    page = new_page("staff")
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto("/reports/dashboard/?date_from=2026-09-01&date_to=2026-11-30")
    page.wait_for_function(
        "document.querySelector('canvas[data-chart=months]').chart !== undefined"
    )
    ticks = page.evaluate(
        """() => {
          const months = document.querySelector('canvas[data-chart=months]').chart;
          const states = document.querySelector('canvas[data-chart=states]').chart;
          return {months: months.scales.y.ticks.map(t => t.value),
                  amount: months.scales.y1.ticks.map(t => t.value),
                  states: states.scales.y.ticks.map(t => t.value),
                  labels: months.data.labels};
        }"""
    )
    assert ticks["labels"] == ["2026-09", "2026-10", "2026-11"]
    assert ticks["months"] and all(float(v).is_integer() for v in ticks["months"]), ticks
    assert ticks["states"] and all(float(v).is_integer() for v in ticks["states"]), ticks
    RESULTS.mkdir(exist_ok=True)
    page.set_viewport_size({"width": 1366, "height": 768})
    page.screenshot(path=str(RESULTS / "dashboard-1366.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(RESULTS / "dashboard-390.png"), full_page=True)
    # A bad date: refused in Chinese, kept as typed.
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto("/reports/dashboard/?date_from=2026-02-30&date_to=2026-11-30")
    assert "请按日期填写开始日期" in page.locator("main").inner_text()
    assert page.locator("input[name=date_to]").input_value() == "2026-11-30"
    assert not [e for e in errors if "Content Security Policy" in e], errors
