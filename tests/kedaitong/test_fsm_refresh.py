"""Two threads refreshing protected state at once (kedaitong/fsm.py).

django-fsm-2 lifts a protected field's guard on the shared field object while it refreshes; without
the lock the first thread to finish puts the guard back while the second is still writing its state.
The database read is replaced by a slow write of the state, so the overlap is certain, not lucky.
"""

import threading
import time
from unittest import mock

from django.db import models

from loans.models import RecordUpload


def test_two_threads_refreshing_protected_state_at_once_both_succeed():
    def slow_refresh(self, *args, **kwargs):
        time.sleep(0.2)  # the second thread starts its refresh while the first is here
        self.state = RecordUpload.State.SAVED

    errors: list[BaseException] = []

    def refresh(upload: RecordUpload) -> None:
        try:
            upload.refresh_from_db()
        except BaseException as exc:  # noqa: BLE001  (the failure is what is counted)
            errors.append(exc)

    uploads = [RecordUpload(state=RecordUpload.State.CHECKED) for _ in range(2)]
    with mock.patch.object(models.Model, "refresh_from_db", slow_refresh):
        first = threading.Thread(target=refresh, args=(uploads[0],))
        second = threading.Thread(target=refresh, args=(uploads[1],))
        first.start()
        time.sleep(0.1)
        second.start()
        first.join()
        second.join()
    assert errors == []
    assert [u.state for u in uploads] == [RecordUpload.State.SAVED] * 2
    # The guard is back: direct assignment is still refused.
    try:
        uploads[0].state = RecordUpload.State.CHECKED
    except AttributeError:
        pass
    else:
        raise AssertionError("the protected state could be assigned directly")


def test_the_historical_models_of_migrations_add_no_transition_listeners():
    """`migrate` renders thousands of historical models; their state fields must not stay connected to
    `class_prepared` (each later model was sent to all of them), while the real models keep theirs."""
    import weakref

    from django.db.migrations.loader import MigrationLoader
    from django.db.models.signals import class_prepared

    def fsm_listeners() -> int:
        live = [
            r() if isinstance(r, weakref.ReferenceType) else r
            for _k, r, *_ in class_prepared.receivers
        ]
        return sum(1 for r in live if getattr(r, "__name__", "") == "_collect_transitions")

    before = fsm_listeners()
    state = MigrationLoader(None, ignore_no_migrations=True).project_state()
    rendered = state.apps  # renders every historical model, RecordUpload's state field among them
    assert rendered.get_model("loans", "RecordUpload")._meta.get_field("state")
    assert fsm_listeners() == before
    assert RecordUpload.get_all_state_transitions  # the real model still collected its transitions
    assert {t.name for t in RecordUpload().get_all_state_transitions()}
