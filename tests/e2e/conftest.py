"""Browser tests: Playwright driving a real Chromium against Django's live server.

Each test gets a fresh committed tenant reachable at http://<schema>.localhost:<port>/ (Chromium
resolves *.localhost to the loopback address).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from pytest_django.live_server_helper import LiveServer

# Playwright's sync API runs an event loop in the test thread; the ORM calls made by the test
# body are still plain synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = pytest.mark.e2e


def chromium_path() -> str | None:
    """CHROMIUM_PATH, else Debian's chromium, else Playwright's own browser (None)."""
    explicit = os.environ.get("CHROMIUM_PATH")
    if explicit:
        return explicit
    for candidate in ("/usr/bin/chromium", shutil.which("chromium") or ""):
        if candidate and os.path.exists(candidate):
            return candidate
    return None


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):  # type: ignore[no-untyped-def]
    args = {
        **browser_type_launch_args,
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
    path = chromium_path()
    if path:
        args["executable_path"] = path
    return args


@dataclass
class Site:
    world: object  # tests.conftest.TenantWorld
    base_url: str
    requests: list[str]

    def url(self, path: str) -> str:
        return self.base_url + path

    def foreign_requests(self) -> list[str]:
        """Requests the page made to any host other than the tenant's own."""
        own = urlsplit(self.base_url).netloc
        return [u for u in self.requests if urlsplit(u).netloc not in (own, "")]

    def login(self, page, user, password: str | None = None) -> None:  # type: ignore[no-untyped-def]
        from tests.conftest import PASSWORD

        page.goto(self.url("/accounts/login/"))
        page.get_by_label("Email").fill(user.email)
        page.get_by_label("Password").fill(password or PASSWORD)
        page.get_by_role("button", name="Sign in", exact=True).click()
        page.wait_for_url(self.url("/"))


@pytest.fixture(scope="session")
def tenant_live_server(django_db_blocker) -> Iterator[LiveServer]:  # type: ignore[no-untyped-def]
    """Django's live server thread, without pytest-django's `live_server` fixture: that one makes
    the test transactional, and its teardown flush would empty the shared public tables (the
    alpha/beta tenants). Browser tests use committed data (`committed_tenant`) instead."""
    with django_db_blocker.unblock():
        server = LiveServer("localhost")
    yield server
    server.stop()


@pytest.fixture
def site(committed_tenant, tenant_live_server, page) -> Iterator[Site]:  # type: ignore[no-untyped-def]
    port = urlsplit(tenant_live_server.url).port
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    yield Site(
        world=committed_tenant,
        base_url=f"http://{committed_tenant.host}:{port}",
        requests=requests,
    )


# Every browser test also checks the Content-Security-Policy: a violation in any frame (reported
# by a listener in every document, or by Chromium itself in the console, which also covers
# sandboxed frames where no script runs) fails the test.
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(
    "CSP-VIOLATION " + event.violatedDirective + " blocked " + (event.blockedURI || "inline")
    + " in " + event.documentURI + (event.sample ? " sample " + event.sample : "")
  );
});
"""
_CSP_MARKERS = ("CSP-VIOLATION", "Content Security Policy", "Permissions-Policy")


def csp_problems(log: list[str]) -> list[str]:
    return [entry for entry in log if any(marker in entry for marker in _CSP_MARKERS)]


@pytest.fixture
def csp_log() -> list[str]:
    return []


@pytest.fixture
def page(page, csp_log):  # type: ignore[no-untyped-def]
    page.add_init_script(CSP_LISTENER)
    page.on(
        "console",
        lambda message: csp_log.append(
            f"{message.type}: {message.text} ({message.location.get('url', '')})"
        ),
    )
    yield page
    assert csp_problems(csp_log) == [], "Content-Security-Policy violations on this test's pages"
