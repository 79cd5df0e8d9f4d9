"""django-fsm-2's `refresh_from_db`, made safe when several threads of one process refresh at once.

`FSMModelMixin.refresh_from_db` lifts a protected state field's guard by switching the *field's*
`protected` flag off, refreshes, and switches it on again. The field is shared by every instance in
the process, so with two threads (a threaded server, the race tests) one thread can switch the guard
back on while the other is still writing the refreshed state, which then fails with "Direct state
modification is not allowed". `install_refresh_lock()` (called from `KedaitongConfig.ready`) wraps the method in
one process-wide lock, so refreshes of protected models take turns; the query it waits for is a plain
primary-key read, which takes no row locks and so cannot wait on a thread that holds this lock.

`install_historical_models_fix()` keeps the historical models that migrations build from listening for
transitions. Each state field of such a model connects `class_prepared` to its `_collect_transitions`,
and the migration states keep those fields alive, so every model that `migrate` renders (about 12,000
for this project's migrations) was sent to a growing list of receivers (`migrate` of an empty SQLite
database: 22.2 s with them, 20.4 s without). A historical model has no transition methods (migrations
hold fields, not methods), so there is nothing for it to collect.
"""

from __future__ import annotations

import functools
import threading
import typing

from django.apps import apps as global_apps
from django.db.models.signals import class_prepared
from django_fsm import FSMFieldMixin, FSMModelMixin

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


def install_historical_models_fix() -> None:
    original = FSMFieldMixin.contribute_to_class
    if getattr(original, "kedaitong_historical", False):
        return

    @functools.wraps(original)
    def contribute_to_class(
        self: typing.Any, cls: typing.Any, name: str, *args: typing.Any, **kwargs: typing.Any
    ) -> None:
        original(self, cls, name, *args, **kwargs)
        if cls._meta.apps is not global_apps:  # a migration's historical model
            class_prepared.disconnect(self._collect_transitions)

    contribute_to_class.kedaitong_historical = True  # type: ignore[attr-defined]
    FSMFieldMixin.contribute_to_class = contribute_to_class
