"""Headless Chromium through Playwright, with axe run on every page a journey visits.

Playwright cannot download its own browser here, so Debian's Chromium is used."""

import os
import shutil

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")

pytestmark = pytest.mark.browser


def pytest_collection_modifyitems(config, items):
    if shutil.which(CHROMIUM) or os.path.exists(CHROMIUM):
        return
    skip = pytest.mark.skip(reason=f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    for item in items:
        if "browser" in str(item.fspath):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


class AxeChecker:
    """Runs axe-core (WCAG 2.2 AA rules) on a page and fails on any violation."""

    TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

    def __init__(self):
        from axe_playwright_python.sync_playwright import Axe

        self.axe = Axe()
        self.pages_checked: list[str] = []

    def __call__(self, page) -> None:
        results = self.axe.run(page, options={"runOnly": {"type": "tag", "values": self.TAGS}})
        violations = results.response.get("violations", [])
        self.pages_checked.append(page.url)
        assert not violations, f"axe found problems on {page.url}:\n" + "\n".join(
            f"- {v['id']} ({v['impact']}): {v['help']} — "
            + "; ".join(n["target"][0] if n["target"] else "?" for n in v["nodes"][:5])
            for v in violations
        )


@pytest.fixture
def axe():
    return AxeChecker()


def watch_policy(page) -> list[str]:
    """The browser's CSP refusals on ``page``, as they happen."""
    refused: list[str] = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return refused


@pytest.fixture(autouse=True)
def _no_policy_violations(request):
    """Every journey runs under the portal's Content-Security-Policy: anything the
    browser refuses (an inline script or style, a stray source) fails the test."""
    if "page" not in request.fixturenames:
        yield
        return
    page = request.getfixturevalue("page")
    refused: list[str] = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    yield
    assert refused == [], "The browser refused, under the CSP:\n" + "\n".join(refused)


@pytest.fixture
def sign_in(page, live_server):
    """Signs in through the real sign-in page as a person would."""

    def _sign_in(email: str, password: str, axe_check=None):
        page.goto(f"{live_server.url}/accounts/login/")
        if axe_check:
            axe_check(page)
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state()

    return _sign_in
