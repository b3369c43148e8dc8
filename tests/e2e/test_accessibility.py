"""axe-core on every staff page: 0 serious or critical violations, in a real Chromium.

The pages are those of the CSP walk (tests/e2e/test_csp.py): the tenant URL conf walked, its
parameters filled from the demo company's data, so a page added later is checked without
touching this file. axe-core comes from npm (package.json devDependencies, in node_modules) and
is injected by the test only: it is never served by the app. The pages are loaded with the
CSP bypassed so the injected script may run; the CSP walk checks the policy itself.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django_tenants.utils import tenant_context

from accounts.permissions import HR_ADMIN, RECRUITER
from tests.e2e.test_csp import (  # noqa: F401 (demo is a fixture)
    TENANT_PAGES,
    _sign_in,
    _tenant_values,
    _visit,
    demo,
)

pytestmark = pytest.mark.e2e

AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = {"serious", "critical"}
# Endpoints that answer a piece of a page (htmx swaps it into the page that asked for it, which
# is checked whole) rather than a page of their own.
FRAGMENTS = {
    "campaigns:progress": "sending progress, polled by the campaign page",
    "candidates:import_dry_run": "dry-run result, polled by the mapping page",
    "consent:candidate_exports": "export list, polled by the consent page",
    "feedback:runs": "bulk rejection runs, polled by the feedback page",
    "pools:count": "live count of the criteria form",
    "pools:run_progress": "rule run progress, polled by the rules page",
    # The walk stores a bare "<p>Walk</p>" as the preview; real previews are whole emails
    # (checked through mailing:html and campaigns:preview).
    "mailing:preview": "an email preview frame of stored HTML",
}
RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map(n => n.target.join(" ") + " — " + n.failureSummary)
  }));
}"""


def axe_violations(page: Any) -> list[dict[str, Any]]:
    page.add_script_tag(path=str(AXE))
    return [v for v in page.evaluate(RUN_AXE) if v["impact"] in BLOCKING]


@pytest.fixture
def page(browser):  # type: ignore[no-untyped-def]
    """A page whose CSP is bypassed (only so the injected axe script may run)."""
    context = browser.new_context(bypass_csp=True, viewport={"width": 1366, "height": 900})
    yield context.new_page()
    context.close()


def test_every_staff_page_has_no_serious_or_critical_axe_violation(demo, page):  # noqa: F811
    from django.test import Client

    from accounts.models import User
    from tenants.models import Tenant

    assert AXE.exists(), "run `make assets` (npm ci) to install axe-core"
    tenant = Tenant.objects.get(schema_name="demo")
    with tenant_context(tenant):
        hr = User.objects.get(email="hr@demo.localhost")
        fill = _tenant_values({"hr_admin": lambda: hr})
    staff = sorted(
        (p for p in TENANT_PAGES if p.access in (RECRUITER, HR_ADMIN)), key=lambda p: p.name
    )
    _sign_in(page, demo["tenant"] + "/accounts/login/", "hr@demo.localhost")
    probe = Client(HTTP_HOST="demo.localhost")
    with tenant_context(tenant):
        probe.force_login(hr)
    problems: list[str] = []
    checked = 0
    for p in staff:
        if p.name == "accounts:logout" or p.name in FRAGMENTS:
            continue
        if p.params:
            with tenant_context(tenant):
                url = demo["tenant"] + p.url(fill[p.name]())
        else:
            url = demo["tenant"] + "/" + p.route
        visit = _visit(page, url, probe)
        if visit is None or visit.status >= 400:
            continue  # an action that only takes POST, or a page refusing this state
        checked += 1
        for violation in axe_violations(page):
            problems.append(
                f"{p.name} ({url}): {violation['impact']} {violation['id']}: {violation['help']}"
                + "".join(f"\n    {node}" for node in violation["nodes"])
            )
    assert checked >= 60, checked  # the walk really went through the staff pages
    if problems:
        pytest.fail(f"{len(problems)} serious or critical violations:\n" + "\n".join(problems))
