"""The browser of one pytest process: started for the first browser test, stopped before any other test.

`make test` runs the browser tests in the same pytest-xdist workers as the rest (scripts/test.sh), so a worker
goes from a browser test to an ordinary one and back. Playwright's sync API keeps its event loop registered as
running in the main thread for as long as the driver is up, and Django refuses every ORM call made while a loop
runs there (SynchronousOnlyOperation). Those calls are allowed for as long as the driver runs
(`DJANGO_ALLOW_ASYNC_UNSAFE`, set by `get` and put back by `stop`): the browser tests' own, and the flush and
the reference data put back after each of them. The other tests keep Django's check, because the driver is
stopped before they run (`pytest_runtest_teardown` in tests/conftest.py, which knows the worker's next test).
"""

from __future__ import annotations

import os
from typing import Any

_RUNNING: dict[str, Any] = {}


def running() -> bool:
    return bool(_RUNNING)


def get(executable: str, args: list[str], wait_ms: int) -> Any:
    """The process's browser, launched when none is running."""
    if not _RUNNING:
        from playwright.sync_api import expect, sync_playwright

        expect.set_options(timeout=wait_ms)
        manager = sync_playwright()
        playwright = manager.__enter__()
        try:
            browser = playwright.chromium.launch(executable_path=executable, args=args)
        except BaseException:
            manager.__exit__(None, None, None)
            raise
        _RUNNING.update(
            manager=manager, browser=browser, unsafe=os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
        )
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    return _RUNNING["browser"]


def stop() -> None:
    """Close the browser and stop the driver (which kills any browser process still running); then make sure
    nothing they started is left (tests/e2e/conftest.py `_reap_descendants`)."""
    if not _RUNNING:
        return
    manager, browser, unsafe = (
        _RUNNING.pop("manager"),
        _RUNNING.pop("browser"),
        _RUNNING.pop("unsafe"),
    )
    if unsafe is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = unsafe
    try:
        browser.close()
    finally:
        manager.__exit__(None, None, None)
        from tests.e2e.conftest import _reap_descendants

        _reap_descendants()
