"""Browser tests: Playwright (sync API) drives Debian's Chromium against the live_server.

The browser is never downloaded: `./bin/test` installs Debian's `chromium` package, and a missing
/usr/bin/chromium fails the tests (it never skips them). Every test in this folder is marked `e2e`,
so `pytest -m "not e2e"` leaves them out. A failing test leaves a screenshot and the page's HTML in
test-artifacts/.
"""

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from tests.factories import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
# Headless and off the network: without the background-networking flags Chromium keeps trying to
# reach Google's services, which a closed network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1366, "height": 900}
E2E_DIR = Path(__file__).parent


def artifacts_dir(config: pytest.Config) -> Path:
    return config.rootpath / "test-artifacts"


def artifact_name(nodeid: str) -> str:
    return re.sub(r"[^\w.-]+", "_", nodeid.removeprefix("tests/e2e/")).strip("_")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # tryfirst: the mark is in place before `-m` deselects anything.
    for item in items:
        if E2E_DIR in item.path.parents:
            item.add_marker(pytest.mark.e2e)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    page = getattr(item, "funcargs", {}).get("page")
    if report.failed and report.when == "call" and page is not None and not page.is_closed():
        folder = artifacts_dir(item.config)
        folder.mkdir(exist_ok=True)
        stem = folder / artifact_name(item.nodeid)
        try:
            page.screenshot(path=f"{stem}.png", full_page=True)
            Path(f"{stem}.html").write_text(page.content(), encoding="utf-8")
            saved = f"page {page.url} saved to {stem}.png and .html"
        except PlaywrightError as error:  # a crashed page must not hide the test's own failure
            saved = f"could not save page {page.url}: {error}"
        report.sections.append(("browser", saved))
    return report


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"Browser tests need Debian's Chromium at {CHROMIUM}:"
            " run ./bin/test, which installs it.",
            pytrace=False,
        )
    # Playwright's sync API runs an asyncio event loop in this thread, and Django refuses ORM
    # calls from a thread with a running loop (SynchronousOnlyOperation). The tests only drive the
    # browser and set up data synchronously, so the check is switched off while the browser lives.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
            )
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session")
def statistics_libraries() -> None:
    """Imports scikit-learn, statsmodels (with SciPy and pandas) and krippendorff once, here.

    The statistics code imports them at its first figures. Tests run jobs with the
    ImmediateBackend, so that first import happens inside a page's request in the live server:
    6-7 s of CPU, a minute and more of waiting on a loaded machine, and a page past its timeout.
    In production the db_worker runs the job and the page shows "computing" meanwhile.
    """
    import krippendorff  # noqa: F401
    import sklearn.metrics  # noqa: F401
    import statsmodels.stats.inter_rater  # noqa: F401


@pytest.fixture
def browser_locale() -> str:
    """The browser's language (Accept-Language); override with
    `@pytest.mark.parametrize("browser_locale", ["zh-CN"])`."""
    return "en-US"


@pytest.fixture
def page(
    browser: Browser, live_server, transactional_db, browser_locale: str, statistics_libraries
) -> Iterator[Page]:
    """A fresh browser context (no cookies) per test; relative URLs go to the live server."""
    context = browser.new_context(
        base_url=live_server.url, locale=browser_locale, viewport=VIEWPORT
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def login() -> Callable[..., None]:
    """`login(page, user)` signs in through the real login form and waits to leave it."""

    def sign_in(page: Page, user, password: str = PASSWORD) -> None:
        page.goto("/accounts/login/")
        page.fill("input[name=username]", user.username)
        page.fill("input[name=password]", password)
        with page.expect_navigation():
            page.press("input[name=password]", "Enter")
        assert "/accounts/login/" not in page.url, f"logging in as {user.username} failed"

    return sign_in


@pytest.fixture
def screenshot(request: pytest.FixtureRequest) -> Callable[[Page, str], Path | None]:
    """`screenshot(page, name)` keeps test-artifacts/<name>.png when CONSILIUM_SCREENSHOTS=1."""

    def take(page: Page, name: str) -> Path | None:
        if os.environ.get("CONSILIUM_SCREENSHOTS") != "1":
            return None
        folder = artifacts_dir(request.config)
        folder.mkdir(exist_ok=True)
        path = folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
