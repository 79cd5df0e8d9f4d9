"""django-fsm-2's `refresh_from_db`, made safe when several threads of one process refresh at once.

`FSMModelMixin.refresh_from_db` lifts a protected state field's guard by switching the *field's*
`protected` flag off, refreshes, and switches it on again. The field is shared by every instance in
the process, so with two threads (a threaded server, the race tests) one thread can switch the guard
back on while the other is still writing the refreshed state, which then fails with "Direct state
modification is not allowed". `install_refresh_lock()` (called from `KedaitongConfig.ready`) wraps the method in
one process-wide lock, so refreshes of protected models take turns; the query it waits for is a plain
primary-key read, which takes no row locks and so cannot wait on a thread that holds this lock.
"""

from __future__ import annotations

import functools
import threading
import typing

from django_fsm import FSMModelMixin

_lock = threading.RLock()


def install_refresh_lock() -> None:
    original = FSMModelMixin.refresh_from_db
    if getattr(original, "kedaitong_locked", False):
        return

    @functools.wraps(original)
    def refresh_from_db(self: typing.Any, *args: typing.Any, **kwargs: typing.Any) -> None:
        with _lock:
            original(self, *args, **kwargs)

    refresh_from_db.kedaitong_locked = True  # type: ignore[attr-defined]
    FSMModelMixin.refresh_from_db = refresh_from_db  # type: ignore[method-assign]
