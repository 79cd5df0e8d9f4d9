"""Fixed instants for tests that depend on "now" (time-machine); the suite never reads the real clock.

The bureau's date is Asia/Shanghai's: from 16:00 UTC it is already the next day there. A test
about "today" travels to one of these instants (or one of its own), e.g.
`@pytest.mark.time_machine(BUREAU_NEXT_DAY)`, so that it passes at any hour of any date and
catches code that takes the server's UTC date for the bureau's.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")

# Instants are given in the bureau's zone: time-machine then sets the process's zone (TZ) to
# Asia/Shanghai, as Django does at start-up. An instant in UTC would switch it to UTC and make
# `date.today()` differ from `timezone.localdate()`, which never happens in the portal.

# 2026-12-04 04:00 in Shanghai is 2026-12-03 20:00 UTC: the UTC date and the bureau's date differ.
BUREAU_NEXT_DAY = dt.datetime(2026, 12, 4, 4, 0, tzinfo=SHANGHAI)
# An ordinary working morning for the bureau (Thursday 2026-12-03, 10:00 in Shanghai).
BUREAU_MORNING = dt.datetime(2026, 12, 3, 10, 0, tzinfo=SHANGHAI)


def bureau(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> dt.datetime:
    """An instant given in the bureau's wall-clock time."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)
