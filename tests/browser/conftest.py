"""Real-browser tests: Playwright's sync API driving the system's Chromium (Debian's
`chromium` package; Playwright's own browser download cannot work on these machines).

Without Chromium the tests are skipped, unless SUIVI_REQUIRE_BROWSER=1 (CI) where a
missing browser is a failure. A hand-made fixture, not pytest-playwright: one browser per
test run, one fresh context (cookies, storage) per test.
"""

import os
import shutil

import pytest
from django.conf import settings

ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _unavailable(reason: str):
    if os.environ.get("SUIVI_REQUIRE_BROWSER") == "1":
        pytest.fail(f"SUIVI_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
    pytest.skip(reason)


def chromium_path() -> str | None:
    path = shutil.which("chromium") or "/usr/bin/chromium"
    return path if os.path.exists(path) else None


@pytest.fixture(scope="package", autouse=True)
def allow_async_unsafe():
    """Playwright's sync API runs an event loop in the test thread; Django refuses ORM
    calls from a thread with a running loop unless DJANGO_ALLOW_ASYNC_UNSAFE is set (safe
    here: one test at a time). Set for this package only and restored afterwards: a
    process-wide value would leak into other tests and their subprocesses (`check
    --deploy` warns about it)."""
    previous = os.environ.get(ASYNC_UNSAFE)
    os.environ[ASYNC_UNSAFE] = "true"
    yield
    if previous is None:
        os.environ.pop(ASYNC_UNSAFE, None)
    else:
        os.environ[ASYNC_UNSAFE] = previous


@pytest.fixture(scope="package")
def browser(allow_async_unsafe):
    """One Chromium for the browser tests, stopped when they are done (its event loop
    must not outlive them)."""
    executable = chromium_path()
    if executable is None:
        _unavailable("Chromium is not installed (apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed")
    manager = sync_playwright().start()
    try:
        browser = manager.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
    except Exception as exc:  # the launch error names what is missing
        manager.stop()
        _unavailable(f"Chromium did not start: {exc}")
    yield browser
    browser.close()
    manager.stop()


@pytest.fixture(scope="package")
def axe(browser):
    """axe-core, as bundled by axe-playwright-python (no download at test time)."""
    try:
        from axe_playwright_python.sync_playwright import Axe
    except ImportError:
        _unavailable("the axe-playwright-python package is not installed")
    return Axe()


@pytest.fixture
def csp_violations():
    return []


@pytest.fixture
def browser_context(browser, csp_violations):
    """A tablet-sized context in French. Console messages about the content security
    policy are collected in `csp_violations` (pages must have no inline script/style)."""
    context = browser.new_context(
        locale="fr-FR",
        viewport={"width": 1024, "height": 768},
        has_touch=True,
        service_workers="block",
    )
    context.set_default_timeout(10_000)
    yield context
    context.close()


@pytest.fixture
def page(browser_context, csp_violations):
    page = browser_context.new_page()

    def on_console(message):
        if "Content Security Policy" in message.text:
            csp_violations.append(message.text)

    page.on("console", on_console)
    yield page
    page.close()


@pytest.fixture
def login_as(client, browser_context, live_server):
    """Signs `user` in for the browser: the Django test client makes the session, its
    cookie is handed to the browser context."""

    def login(user):
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        browser_context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_server.url}]
        )

    return login
