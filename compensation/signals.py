"""The official calendar changed: write-off certificate due days that may still move are recomputed (第十一条 4).

Connected in `CompensationConfig.ready` to the kedaitong calendar models (an admin adding a year or one of its
holidays or adjusted working days, or deleting one). The recomputation runs in the same transaction as the change.
"""

from __future__ import annotations

from typing import Any


def calendar_changed(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    if raw:  # loaddata or a test database restored: not an admin's change (the daily check recomputes anyway)
        return
    from compensation.services import writeoff_due_refresh
    from kedaitong.models import CalendarYear

    year = instance.year if isinstance(instance, CalendarYear) else instance.date.year
    writeoff_due_refresh(years=[year])
