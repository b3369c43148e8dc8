"""Every page, staff and candidate-facing, loads under the Content-Security-Policy with 0
violations, in a real Chromium.

The pages come from the URL confs (tenant and public, Django's admin included), so a page added
later is walked without touching this file. URL parameters are filled from the demo company's
data (`seed_demo`); a new page with a parameter this file cannot fill fails the walk with its
name, and so does a new endpoint that is not HTML: add it to NOT_HTML with the reason.
Violations are caught twice: a `securitypolicyviolation` listener in every frame, and
Chromium's own console report (which also covers sandboxed frames, where no script runs).
"""

from __future__ import annotations

import io
import re
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_tenants.utils import schema_context, schema_exists, tenant_context

from accounts.permissions import API_KEY, CANDIDATE, HR_ADMIN, PUBLIC, RECRUITER
from demo.services import DEMO_PASSWORD, PLATFORM_ADMIN_EMAIL
from tests.e2e.conftest import csp_problems

pytestmark = pytest.mark.e2e

# Endpoints that answer something other than an HTML page (a browser would download it or
# show raw data); they carry no document a policy could apply to.
NOT_HTML = {
    "healthz": "JSON health probe",
    "favicon": "icon",
    "accounts:passkey_authenticate_begin": "WebAuthn options (JSON)",
    "accounts:passkey_authenticate_complete": "WebAuthn result (JSON)",
    "accounts:passkey_register_begin": "WebAuthn options (JSON)",
    "accounts:passkey_register_complete": "WebAuthn result (JSON)",
    "accounts:passkey_jsi18n": "JavaScript catalogue",
    "api:openapi-json": "OpenAPI schema (JSON)",
    "api:api-root": "API index (JSON)",
    "tenants:logo": "image",
    "tenants:theme": "stylesheet",
    "candidates:export": "CSV download",
    "candidates:suggest": "JSON (typeahead suggestions)",
    "accounts:audit_export": "CSV download",
    "candidates:application_cv": "CV download",
    "candidates:import_errors": "CSV download",
    "mailing:webhook_postmark": "ESP webhook (JSON)",
    "mailing:webhook_mailgun": "ESP webhook (JSON)",
    "consent:download": "data export download",
    "consent:export_download": "data export download",
    "consent:proof": "JSON / PDF download",
    "candidates:submission_cv": "CV download",
    "integrations:ats_webhook": "ATS webhook (JSON)",
    "consent:candidate_export": "JSON / PDF download",
    "consent:registration_cv": "CV download",
    "pools:export": "CSV download",
    "feedback:pdf": "PDF",
    "campaigns:insights_pdf": "PDF",
    "admin:jsi18n": "JavaScript catalogue",
    "admin:autocomplete": "JSON",
    "admin:view_on_site": "redirect to another site",
}
# Sign-out ends the walker's session: it is walked last.
LAST = {"accounts:logout", "admin:logout"}


@dataclass(frozen=True)
class Page:
    name: str
    route: str  # with <converter:name> placeholders
    params: tuple[str, ...]
    access: str | None

    def url(self, values: dict[str, Any]) -> str:
        path = self.route
        for name in self.params:
            path = re.sub(rf"<(?:[^>:]+:)?{name}>", str(values[name]), path)
        return "/" + path


_PARAM = re.compile(r"<(?:[^>:]+:)?([^>]+)>")


def _walk(resolver: URLResolver, prefix: str = "", namespace: str = "") -> Iterator[Page]:
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = namespace + (f"{entry.namespace}:" if entry.namespace else "")
            yield from _walk(entry, prefix + _route(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            route = prefix + _route(entry.pattern)
            yield Page(
                name=f"{namespace}{entry.name or entry.lookup_str}",
                route=route,
                params=tuple(_PARAM.findall(route)),
                access=getattr(entry.callback, "access", None),
            )


def _route(pattern: Any) -> str:
    if isinstance(pattern, RoutePattern):
        return str(pattern)
    # Django's admin uses a few regex patterns: turn (?P<name>…) into <name>.
    source = pattern.regex.pattern.lstrip("^").rstrip("$").replace("\\Z", "")
    return re.sub(r"\(\?P<(\w+)>[^)]*\)", r"<\1>", source).replace("\\", "")


# The REST API (API keys, JSON) has its own schema tests (tests/integrations).
TENANT_PAGES = [
    p
    for p in _walk(get_resolver("config.urls_tenants"))
    if p.name not in NOT_HTML and p.access != API_KEY
]
PUBLIC_PAGES = [p for p in _walk(get_resolver("config.urls_public")) if p.name not in NOT_HTML]


# --- Filling the parameters from the demo company's data ---------------------------------------


def _token(url: str) -> str:
    return urlsplit(url).path.rstrip("/").split("/")[-1]


def _tenant_values(world: Any) -> dict[str, Callable[[], dict[str, Any]]]:
    """URL name -> its parameters, computed in the demo tenant's schema."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from accounts.models import Role, User
    from campaigns.models import Campaign, ContentItem, TopicSchedule
    from campaigns.referrals import share_url
    from candidates.import_dry_run import import_dry_run_execute
    from candidates.importing import import_job_create
    from candidates.links import reapply_url
    from candidates.models import (
        Application,
        Candidate,
        DryRunStatus,
        ImportJob,
        Outcome,
        Position,
        PositionStatus,
        SavedView,
        Submission,
    )
    from consent import links
    from consent.models import DataRequest
    from consent.requests import data_request_create, registration_submit
    from consent.services import Origin, Shown
    from feedback.models import FeedbackTask, Rejection, RejectionReason
    from integrations.models import (
        ApiKey,
        AtsEvent,
        AtsMapping,
        InboundReply,
        WebhookDelivery,
        WebhookSubscription,
    )
    from mailing.catalog import template_kinds
    from mailing.models import Message
    from mailing.previews import preview_store
    from pools.models import Pool, RuleRun, TagRule

    def active_application() -> Application:
        return (
            Application.objects.filter(outcome=Outcome.ACTIVE, candidate__anonymised_at=None)
            .select_related("candidate", "position")
            .order_by("pk")
            .first()
        )

    def candidate() -> Candidate:
        return active_application().candidate

    def open_position() -> Position:
        return Position.objects.filter(status=PositionStatus.OPEN).order_by("pk").first()

    def saved_view() -> SavedView:
        return SavedView.objects.get_or_create(
            owner=world["hr_admin"](), name="Walk", defaults={"query": "country=FR"}
        )[0]

    def data_request() -> DataRequest:
        return data_request_create(
            candidate=candidate(), kind="access", origin=Origin(ip="127.0.0.1")
        )

    def import_job() -> int:
        upload = SimpleUploadedFile("walk.csv", b"email,first_name\nwalk@example.com,Walk\n")
        return import_job_create(kind="candidates", upload=upload, actor=None).pk

    def import_job_checked() -> int:
        """An upload with its dry run done (run here, as the worker would), so the pages
        show the result and the import button."""
        pk = import_job()
        job = ImportJob.objects.get(pk=pk)
        run = {"run": "walk", "mapping": job.mapping}
        ImportJob.objects.filter(pk=pk).update(dry_run_status=DryRunStatus.QUEUED, dry_run=run)
        import_dry_run_execute(pk, "walk")
        return pk

    def registration_token() -> str:
        registration = registration_submit(
            profile={"first_name": "Walker"},
            email=f"walker-{secrets.token_hex(4)}@example.com",
            grant={},
            shown=Shown(offered={}, ticked=frozenset()),
            language="en",
            cv=None,
            newsletter=False,
            # A fresh address and email: sign-ups are rate-limited per address and per email.
            origin=Origin(ip=f"127.0.{secrets.randbelow(250)}.{secrets.randbelow(250)}"),
        )
        return links.sign(links.REGISTRATION_CONFIRM, candidate=None, r=registration.pk)

    def first(model: Any) -> dict[str, int]:
        """The first row's pk; 0 (a 404 page, or 405 for a POST-only action) when none."""
        row = model.objects.order_by("pk").first()
        return {"pk": row.pk if row else 0}

    recruiter = lambda: User.objects.filter(role=Role.RECRUITER).order_by("pk").first()  # noqa: E731
    pk = lambda obj: {"pk": obj.pk}  # noqa: E731
    return {
        "accounts:password_reset_confirm": lambda: {
            "uidb64": urlsafe_base64_encode(force_bytes(recruiter().pk)),
            "token": default_token_generator.make_token(recruiter()),
        },
        "accounts:user_update": lambda: pk(recruiter()),
        # POST only (answers 405 to the walk's GET): no passkey needs to exist.
        "accounts:passkey_remove": lambda: {"pk": 0},
        "candidates:detail": lambda: pk(candidate()),
        "candidates:edit": lambda: pk(candidate()),
        "candidates:note": lambda: pk(candidate()),
        "candidates:tags": lambda: pk(candidate()),
        "candidates:merge": lambda: pk(candidate()),
        "candidates:apply": lambda: pk(candidate()),
        "candidates:application_move": lambda: pk(active_application()),
        "candidates:application_outcome": lambda: pk(active_application()),
        "candidates:position": lambda: pk(open_position()),
        "candidates:position_edit": lambda: pk(open_position()),
        "candidates:position_delete": lambda: pk(open_position()),
        "candidates:position_board": lambda: pk(open_position()),
        "candidates:position_board_move": lambda: pk(open_position()),
        "candidates:view_delete": lambda: pk(saved_view()),
        "candidates:submission_accept": lambda: first(Submission),
        "candidates:submission_dismiss": lambda: first(Submission),
        "consent:candidate_exports": lambda: pk(candidate()),
        "feedback:task_cancel": lambda: first(FeedbackTask),
        "integrations:key_revoke": lambda: first(ApiKey),
        "integrations:webhook": lambda: first(WebhookSubscription),
        "integrations:webhook_rotate": lambda: first(WebhookSubscription),
        "integrations:webhook_delete": lambda: first(WebhookSubscription),
        "integrations:delivery_replay": lambda: first(WebhookDelivery),
        "integrations:reply_assign": lambda: first(InboundReply),
        "integrations:reply_dismiss": lambda: first(InboundReply),
        "integrations:mapping_edit": lambda: first(AtsMapping),
        "integrations:event_retry": lambda: first(AtsEvent),
        "integrations:event_dismiss": lambda: first(AtsEvent),
        "candidates:job": lambda: pk(open_position()),
        "candidates:reapply": lambda: {"token": _token(reapply_url(candidate(), open_position()))},
        "candidates:import_mapping": lambda: {"pk": import_job_checked()},
        "candidates:import_dry_run": lambda: {"pk": import_job_checked()},
        "candidates:import_job": lambda: {"pk": import_job()},
        "candidates:import_resume": lambda: {"pk": import_job()},
        "mailing:detail": lambda: pk(Message.objects.order_by("pk").first()),
        "mailing:html": lambda: pk(Message.objects.order_by("pk").first()),
        "mailing:send_now": lambda: pk(Message.objects.order_by("pk").first()),
        "mailing:preview": lambda: {
            "key": _token(preview_store("<p>Walk</p>", user=world["hr_admin"]()))
        },
        "mailing:template_edit": lambda: {"key": template_kinds()[0].key},
        "consent:optin": lambda: {"token": _token(links.optin_url(candidate(), source="walk"))},
        "consent:preferences": lambda: {"token": _token(links.preferences_url(candidate()))},
        "consent:unsubscribe": lambda: {"token": _token(links.unsubscribe_url(candidate()))},
        "consent:fresh_link": lambda: {"token": _token(links.preferences_url(candidate()))},
        "consent:my_data": lambda: {"token": _token(links.preferences_url(candidate()))},
        "consent:request_confirm": lambda: {
            "token": links.sign(links.REQUEST_CONFIRM, candidate=candidate(), r=data_request().pk)
        },
        "consent:register_confirm": lambda: {"token": registration_token()},
        "consent:candidate": lambda: pk(candidate()),
        "consent:candidate_erase": lambda: pk(candidate()),
        "consent:text_edit": lambda: {"purpose": "talent_pool", "language": "en"},
        "consent:request_cancel": lambda: pk(data_request()),
        "pools:detail": lambda: pk(Pool.objects.order_by("pk").first()),
        "pools:edit": lambda: pk(Pool.objects.order_by("pk").first()),
        "pools:delete": lambda: pk(Pool.objects.order_by("pk").first()),
        "pools:bulk": lambda: pk(Pool.objects.order_by("pk").first()),
        "pools:add_by_email": lambda: pk(Pool.objects.order_by("pk").first()),
        "pools:rule_edit": lambda: pk(TagRule.objects.order_by("pk").first()),
        "pools:rule_delete": lambda: pk(TagRule.objects.order_by("pk").first()),
        "pools:run_progress": lambda: pk(
            RuleRun.objects.order_by("pk").first() or RuleRun.objects.create()
        ),
        "feedback:reject": lambda: pk(active_application()),
        "feedback:guidance": lambda: pk(active_application()),
        "feedback:application": lambda: pk(Rejection.objects.order_by("pk").first().application),
        "feedback:cancel": lambda: pk(Rejection.objects.order_by("pk").first()),
        "feedback:send": lambda: pk(Rejection.objects.order_by("pk").first()),
        "feedback:reason_edit": lambda: pk(RejectionReason.objects.order_by("pk").first()),
        "feedback:template_edit": lambda: {"group": "personalised", "language": "en"},
        "campaigns:detail": lambda: pk(Campaign.objects.order_by("pk").first()),
        "campaigns:preview": lambda: pk(Campaign.objects.order_by("pk").first()),
        "campaigns:action": lambda: pk(Campaign.objects.order_by("pk").first()),
        "campaigns:progress": lambda: pk(Campaign.objects.order_by("pk").first()),
        "campaigns:content_new": lambda: {
            "topic": ContentItem.objects.order_by("pk").first().topic
        },
        "campaigns:content_edit": lambda: pk(ContentItem.objects.order_by("pk").first()),
        "campaigns:content_archive": lambda: pk(ContentItem.objects.order_by("pk").first()),
        "campaigns:topic": lambda: pk(TopicSchedule.objects.order_by("pk").first()),
        "campaigns:referral": lambda: {"token": _token(share_url(candidate(), open_position()))},
    }


def _admin_values(page: Page) -> dict[str, Any]:
    """Django admin (public schema): the model in the URL name, one of its rows."""
    from django.apps import apps
    from django.contrib import admin

    values: dict[str, Any] = {}
    if "url" in page.params:  # the admin's catch-all: an unknown admin page
        values["url"] = "no-such-page/"
    if "app_label" in page.params:
        values["app_label"] = "tenants"
    if "object_id" in page.params or "id" in page.params:
        _, _, tail = page.name.partition("admin:")
        for model in admin.site._registry:
            prefix = f"{model._meta.app_label}_{model._meta.model_name}_"
            if tail.startswith(prefix):
                row = model._default_manager.order_by("pk").first()
                if row is None and model._meta.label == "auth.Group":
                    row = model._default_manager.create(name="Walkers")
                # An empty table (lockout logs): the admin answers its "does not exist" page.
                values["object_id"] = values["id"] = row.pk if row is not None else 0
        if "object_id" not in values:  # e.g. auth's password change: the operator
            values["object_id"] = values["id"] = (
                apps.get_model("accounts", "User").objects.order_by("pk").first().pk
            )
    return values


# --- The walk -----------------------------------------------------------------------------------


@pytest.fixture
def demo(django_db_setup, django_db_blocker, tenant_live_server) -> Iterator[dict[str, Any]]:  # type: ignore[no-untyped-def]
    from tenants.models import Tenant
    from tenants.services import tenant_schema_drop

    with django_db_blocker.unblock():
        if not Tenant.objects.filter(schema_name="demo").exists() and schema_exists("demo"):
            with connection.cursor() as cursor:  # left by an interrupted run
                cursor.execute('DROP SCHEMA "demo" CASCADE')
        call_command("seed_demo", stdout=io.StringIO())
        port = urlsplit(tenant_live_server.url).port
        try:
            yield {"tenant": f"http://demo.localhost:{port}", "public": f"http://localhost:{port}"}
        finally:
            connection.set_schema_to_public()
            tenant_schema_drop(tenant=Tenant.objects.get(schema_name="demo"))


def _sign_in(page: Any, url: str, email: str) -> None:
    page.goto(url)
    page.locator("input[name=username]").fill(email)
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    page.locator("[type=submit]").first.click()
    page.wait_for_load_state()


@dataclass
class Visit:
    url: str
    status: int
    headers: dict[str, str]


def _visit(page: Any, url: str, probe: Any = None) -> Visit | None:
    """Load `url` as a page; None for an action that only takes POST (no page to load: Chromium
    would show its own error page for the empty 405). `probe` is a Django test client for the
    same host and user, asked first."""
    if probe is not None and probe.get(urlsplit(url).path).status_code == 405:
        return None
    response = page.goto(url)
    assert response is not None, url
    page.wait_for_load_state("load")
    headers = response.all_headers()
    assert headers.get("content-type", "").startswith("text/html") or response.status in (
        204,
        405,
    ), f"{url} answered {headers.get('content-type')}: add it to NOT_HTML with the reason"
    return Visit(url, response.status, headers)


def _check_headers(visit: Visit | None, *, signed_in: bool, admin: bool = False) -> list[str]:
    problems: list[str] = []
    if visit is None:
        return problems
    policy = visit.headers.get("content-security-policy", "")
    if visit.status in (204, 405) and not policy:
        return problems
    if admin:
        if "script-src 'self'" not in policy or "nonce-" in policy:
            problems.append(f"{visit.url}: not the admin's policy {policy!r}")
    elif "nonce-" not in policy and "sandbox" not in policy:
        problems.append(f"{visit.url}: no nonce in its CSP {policy!r}")
    if "permissions-policy" not in visit.headers:
        problems.append(f"{visit.url}: no Permissions-Policy")
    if signed_in and "no-store" not in visit.headers.get("cache-control", ""):
        problems.append(f"{visit.url}: signed-in page without Cache-Control: no-store")
    return problems


def test_every_page_loads_with_no_csp_violation(demo, page, csp_log):
    from accounts.models import User
    from tenants.models import Tenant

    tenant_url, public_url = demo["tenant"], demo["public"]
    tenant = Tenant.objects.get(schema_name="demo")
    with tenant_context(tenant):
        hr = User.objects.get(email="hr@demo.localhost")
        fill = _tenant_values({"hr_admin": lambda: hr})
    missing = [
        p.name for p in TENANT_PAGES if p.params and p.name not in fill and p.name not in NOT_HTML
    ]
    assert missing == [], "Tell this test how to fill the URL parameters of these new pages"

    def tenant_url_of(p: Page) -> str:
        if not p.params:
            return tenant_url + "/" + p.route
        with tenant_context(tenant):
            return tenant_url + p.url(fill[p.name]())

    walked: list[str] = []
    problems: list[str] = []
    by_access = {
        access: [p for p in TENANT_PAGES if p.access == access]
        for access in (PUBLIC, CANDIDATE, RECRUITER, HR_ADMIN)
    }
    undeclared = [p.name for p in TENANT_PAGES if p.access not in by_access]
    assert undeclared == []

    # Candidates and visitors: public and token pages, signed out.
    for p in sorted(by_access[PUBLIC] + by_access[CANDIDATE], key=lambda p: p.name in LAST):
        visit = _visit(page, tenant_url_of(p), Client(HTTP_HOST="demo.localhost"))
        problems += _check_headers(visit, signed_in=False)
        cache = visit.headers.get("cache-control", "") if visit else "no-store"
        if p.access == CANDIDATE and visit and visit.status == 200 and "no-store" not in cache:
            problems.append(f"{visit.url}: candidate token page without no-store")
        walked.append(p.name)

    # Staff: every recruiter and HR-admin page, as the HR admin (who may open all of them).
    _sign_in(page, tenant_url + "/accounts/login/", "hr@demo.localhost")
    staff = sorted(by_access[RECRUITER] + by_access[HR_ADMIN], key=lambda p: p.name)
    probe = Client(HTTP_HOST="demo.localhost")
    with tenant_context(tenant):
        probe.force_login(hr)
    for p in staff:
        visit = _visit(page, tenant_url_of(p), probe)
        assert visit is None or visit.status != 500, p
        problems += _check_headers(visit, signed_in=True)
        walked.append(p.name)
    for p in [p for p in by_access[PUBLIC] if p.name in LAST]:
        _visit(page, tenant_url_of(p), Client(HTTP_HOST="demo.localhost"))

    # The public site and Django's admin, as the platform operator.
    for p in [p for p in PUBLIC_PAGES if not p.name.startswith("admin:")]:
        visit = _visit(page, public_url + "/" + p.route, Client(HTTP_HOST="localhost"))
        problems += _check_headers(visit, signed_in=False)
        walked.append(p.name)
    _sign_in(page, public_url + "/admin/login/", PLATFORM_ADMIN_EMAIL)
    probe = Client(HTTP_HOST="localhost")
    with schema_context("public"):
        probe.force_login(User.objects.get(email=PLATFORM_ADMIN_EMAIL))
        admin_urls = [
            (p, public_url + (p.url(_admin_values(p)) if p.params else "/" + p.route))
            for p in PUBLIC_PAGES
            if p.name.startswith("admin:")
        ]
    for p, url in sorted(admin_urls, key=lambda item: item[0].name in LAST):
        visit = _visit(page, url, probe)
        assert visit is None or visit.status != 500, url
        problems += _check_headers(visit, signed_in=p.name not in LAST, admin=True)
        walked.append(p.name)

    assert len(walked) >= 100, walked  # the walk really went through the URL confs
    assert problems == []
    assert csp_problems(csp_log) == []


def test_a_nonce_is_fresh_on_every_response_and_scripts_without_it_do_not_run(site, page, csp_log):
    first = page.goto(site.url("/accounts/login/"))
    second = page.goto(site.url("/accounts/login/"))
    nonce = re.compile(r"'nonce-([^']+)'")
    one = nonce.search(first.headers["content-security-policy"]).group(1)
    two = nonce.search(second.headers["content-security-policy"]).group(1)
    assert one != two
    # htmx and app.js carry the nonce and run; an injected inline script does not.
    assert page.evaluate("typeof window.htmx") == "object"
    page.evaluate(
        """() => { const s = document.createElement('script');
                   s.textContent = 'window.__injected = 1'; document.body.appendChild(s); }"""
    )
    assert page.evaluate("window.__injected") is None
    page.evaluate("() => { document.body.setAttribute('style', 'color: red'); }")
    problems = csp_problems(csp_log)
    assert any("script-src" in p for p in problems), problems
    assert any("style-src" in p for p in problems), problems
    csp_log.clear()  # the violations were the point of this test
