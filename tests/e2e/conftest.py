"""End-to-end tests: Playwright driving Debian's Chromium against the live test server.

Use `pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]`
in each e2e module: the live server runs in another thread, so data must be
committed. The migrated reference data (programs, LPR, calendar) that a
transactional test flushes is put back right after the flush
(`pytest_runtest_teardown` in tests/conftest.py).

Every browser page comes from one factory, `new_page`: `new_page("staff")`
opens a fresh context (its own cookies, so one person), logged in by a session
written directly (`sign_in`), on a blank page until the test opens one;
`new_page()` stays anonymous. The login form itself is driven by `login`, in
the tests about logging in (test_smoke, test_chinese). The `page` fixture is `new_page()`. When a test
fails, every page still open in any of its contexts leaves a full-page
screenshot in test-results/ (`<test>-<n>-<who>.png`); every context is
closed when the test ends, pass or fail.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.clock import BUREAU_MORNING

# Debian's chromium-headless-shell when installed: the same engine without the browser's own layers, it takes
# about half the CPU of `chromium --headless` for the same pages (60 visits: 7.2 s → 3.6 s of its processes).
HEADLESS_SHELL = "/usr/bin/chromium-headless-shell"
CHROMIUM = os.environ.get(
    "CHROMIUM_PATH", HEADLESS_SHELL if Path(HEADLESS_SHELL).exists() else "/usr/bin/chromium"
)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
RESULTS = Path(__file__).resolve().parents[2] / "test-results"
# How long a browser action or an expect(...) waits for its condition: long enough for a loaded machine.
WAIT_MS = 15_000
PASSWORD = "correct-horse-battery"  # the factories' default


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture(scope="session")
def live_server(request):  # type: ignore[no-untyped-def]
    """pytest-django's live server, its static files served from the apps' folders (Django's StaticFilesHandler).

    pytest-django picks that handler only when "django.contrib.staticfiles" is spelled in INSTALLED_APPS; the
    portal lists its own config of that app (kedaitong.apps.StaticFilesConfig), so the server would serve
    STATIC_ROOT, which only `collectstatic` fills: the pages had no styles or scripts unless an earlier test
    had run `make run` in the same checkout.
    """
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from pytest_django.live_server_helper import LiveServer

    addr = (
        request.config.getvalue("liveserver")
        or os.getenv("DJANGO_LIVE_TEST_SERVER_ADDRESS")
        or "localhost"
    )

    class CachedStaticFilesHandler(StaticFilesHandler):
        """Static files that each browser context keeps: without a freshness of their own, Chromium asked for
        both style sheets again on every page (Last-Modified is the checkout's time, later than the Date the
        test's clock gives, so no heuristic freshness), each a request through this server."""

        def get_response(self, request):  # type: ignore[no-untyped-def]
            response = super().get_response(request)
            if response.status_code == 200:
                response.headers["Cache-Control"] = "max-age=31536000, immutable"
            return response

    server = LiveServer(addr, start=False)
    server.thread.static_handler = CachedStaticFilesHandler
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if shutil.which(CHROMIUM) is None and not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: run `apt-get install chromium` (make test does it as root)"
        )
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=WAIT_MS)

    # Playwright's sync API keeps an event loop in this thread; the ORM calls
    # the tests make in between are still synchronous and safe.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        # Leaving the `with` stops the driver, which kills any browser still
        # running: nothing outlives the session, even when a test errs.
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                yield browser
            finally:
                browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous
        _reap_descendants()


def _descendants(root: int) -> list[int]:
    """Processes below `root` (Linux /proc; empty elsewhere)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2 :].split()
        if fields[0] != "Z":  # a zombie is already gone, only not yet waited for
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _browser_processes() -> list[int]:
    """This session's own processes that belong to Playwright's driver or to Chromium."""
    found = []
    for pid in _descendants(os.getpid()):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if any(word in command for word in ("playwright", "chromium", "chrome")):
            found.append(pid)
    return found


def _reap_descendants() -> None:
    """Once Playwright has stopped, nothing it started may outlive the session: wait a moment, then end what is left."""
    import signal
    import time

    deadline = time.monotonic() + 10
    while (left := _browser_processes()) and time.monotonic() < deadline:
        time.sleep(0.2)
    for pid in left:
        print(f"e2e: process {pid} outlived the browser session; ending it")
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_") or "page"


@pytest.fixture(autouse=True)
def _bureau_clock(time_machine) -> None:  # type: ignore[no-untyped-def]
    """The live server runs in this process, so time-machine sets its clock too: "today" is
    a fixed working day whenever the suite runs (tick=True: time flows from there, so
    heartbeats and timeouts work). Chromium keeps the real clock; cookies carry Max-Age,
    which does not depend on it."""
    time_machine.move_to(BUREAU_MORNING, tick=True)


# The live server's address for `sign_in`'s cookie (a session fixture: the same for every test of the process).
_LIVE_SERVER: dict[str, str] = {}


@pytest.fixture
def new_page(browser, live_server, request) -> Iterator[Callable[..., Any]]:
    """Factory of browser pages, one context (one person) each; screenshots on failure, contexts always closed."""
    opened: list[tuple[str, Any]] = []
    _LIVE_SERVER["url"] = live_server.url
    name = _slug(request.node.name)
    if RESULTS.exists():
        for stale in RESULTS.glob(f"{name}-*.png"):
            stale.unlink()

    def factory(username: str = "") -> Any:
        context = browser.new_context(
            base_url=live_server.url, locale="zh-CN", viewport={"width": 1280, "height": 900}
        )
        context.set_default_timeout(WAIT_MS)
        opened.append((username or "anonymous", context))
        page = context.new_page()
        if username:
            sign_in(page, username)
        return page

    yield factory
    report = getattr(request.node, "rep_call", None)
    try:
        if report is not None and report.failed:
            RESULTS.mkdir(exist_ok=True)
            n = 0
            for who, context in opened:
                for page in context.pages:
                    n += 1
                    try:
                        page.screenshot(
                            path=str(RESULTS / f"{name}-{n}-{_slug(who)}.png"),
                            full_page=True,
                            timeout=10_000,
                        )
                    except Exception as exc:  # a crashed or closed page: say so, keep the others
                        print(f"screenshot of {who}'s page {page.url} failed: {exc}")
    finally:
        for _who, context in opened:
            try:
                context.close()
            except (
                Exception
            ) as exc:  # the browser may be gone already; the session fixture stops it
                print(f"closing {_who}'s browser context failed: {exc}")


@pytest.fixture
def page(new_page):
    """One anonymous page; tests that switch users on it log in with `login` (after clearing cookies)."""
    return new_page()


def login(page, username: str, password: str = PASSWORD) -> None:
    """Log in through the real form."""
    page.goto("/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("form button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def sign_in(page, username: str) -> None:  # type: ignore[no-untyped-def]
    """Log `page`'s context in as `username` by a session written directly, as the login form would leave it.

    The session holds what `django.contrib.auth.login` stores (the user, the backend, the password hash), and
    the browser gets its cookie; the page is not navigated. The form costs three requests (the form, the POST
    with django-axes' records, the home page it lands on) for every person of every test; it is tested where
    it is the subject, in the browser by test_smoke (every role) and test_chinese, and by tests/kedaitong.
    """
    from django.conf import settings

    from kedaitong.models import User
    from tests.conftest import signed_in_session

    session = signed_in_session(User.objects.get(username=username))
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": session.session_key,
                "url": _LIVE_SERVER["url"],
                "httpOnly": settings.SESSION_COOKIE_HTTPONLY,
                "sameSite": settings.SESSION_COOKIE_SAMESITE,
            }
        ]
    )


RUN_PAGE = re.compile(r"/subsidy/runs/(\d+)/$")


def run_jobs() -> int:
    """Run every queued background job to its end, here in the test's thread; returns how many ran.

    Browser tests use the database backend (tests/conftest.py): the live server only
    queues jobs, as production web processes do beside `run_jobs` workers, and the test
    runs them when it chooses (a worker that stops when the queue is empty), instead of
    a timer in a thread deciding when they happen.
    """
    from kedaitong.worker import Worker

    worker = Worker(batch=True, interval=0, startup_delay=False, scheduler=False)
    worker.run()
    return worker._run_tasks


def commit_and_open_run(page) -> int:  # type: ignore[no-untyped-def]
    """Press "save this run": the commit is a job; run it, then its page (?follow=1) leads to the run."""
    from playwright.sync_api import expect

    page.click("form[action='/subsidy/runs/new/'] button")
    page.wait_for_url(lambda url: bool(RUN_PAGE.search(url)) or "/jobs/" in url)
    if "/jobs/" in page.url:
        from kedaitong.models import Job

        assert run_jobs() == 1
        job = Job.objects.get(public_id=page.url.split("/")[4])
        assert job.state == Job.State.DONE, f"the subsidy commit failed: {job.message}"
        # The job page refreshes itself each second and goes on to the run once it is saved.
        expect(page).to_have_url(RUN_PAGE)
    match = RUN_PAGE.search(page.url)
    assert match, page.url
    return int(match.group(1))


def confirm_if_asked(page, *shown: str) -> bool:  # type: ignore[no-untyped-def]
    """Issue 18 item 4: an action that cannot be undone shows its confirmation page first.

    Checks the page (the restatement, `shown` texts, amounts in capitals, both buttons), then presses
    the confirm button and waits for the result. False when the page is not a confirmation.
    """
    if page.locator("#confirm-page").count() == 0:
        assert not shown, f"expected a confirmation page: {page.url}"
        return False
    text = page.locator("#confirm-page").inner_text()
    for expected in shown:
        assert expected in text, (expected, text)
    for capitals in page.locator(".amount-capitals").all_inner_texts():
        assert capitals.endswith(("整", "分", "角")), capitals
    assert page.locator("#confirm-back").is_visible()
    with page.expect_navigation():
        page.click("#confirm-button")
    assert page.locator("#confirm-page").count() == 0, page.locator("main").inner_text()
    return True
