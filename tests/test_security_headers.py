"""Content-Security-Policy (nonce-based; Django's admin scoped apart), Permissions-Policy, and
Cache-Control: no-store on signed-in and candidate token pages (config/security.py). The browser
side (0 violations on every page) is tests/e2e/test_csp.py."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from consent import links
from tests.consent.conftest import path_of, person

TEMPLATES = Path(settings.BASE_DIR) / "templates"
# Rendered by WeasyPrint or sent as email, never shown under our page policy.
# Email layouts and the PDF layouts WeasyPrint renders (never served as pages).
NOT_PAGES = ("emails/", "feedback/pdf.html")
PDF_LAYOUT_SUFFIX = "_pdf.html"
INLINE = re.compile(
    # An inline script; a JSON data block (<script type="application/json">) is data, not code.
    r"<script(?![^>]*\bsrc=)(?![^>]*\btype=[\"']application/(?:ld\+)?json[\"'])[^>]*>"
    r"|<style\b"
    r"|\sstyle\s*="
    r"|\son[a-z]+\s*="
    r"|javascript:"
    r"|\ssrcdoc\s*=",
    re.IGNORECASE,
)


def _policy(response) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {
        part.split(" ", 1)[0]: part.split(" ", 1)[1] if " " in part else ""
        for part in (p.strip() for p in response["Content-Security-Policy"].split(";"))
        if part
    }


def test_the_scan_knows_code_from_data():
    assert INLINE.search("<script>alert(1)</script>")
    assert INLINE.search('<div onclick="x()">') and INLINE.search('<p style="color:red">')
    assert not INLINE.search('<script src="/static/js/app.js" nonce="n"></script>')
    assert not INLINE.search('<script type="application/json" id="settings">{}</script>')


def test_no_template_has_inline_script_style_or_handlers():
    offenders = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        name = path.relative_to(TEMPLATES).as_posix()
        if name.startswith(NOT_PAGES) or name.endswith(PDF_LAYOUT_SUFFIX):
            continue
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if INLINE.search(line):
                offenders.append(f"{name}:{number}: {line.strip()[:100]}")
    assert offenders == [], "Move it to static/js or static/css (the CSP refuses it)"


def test_a_signed_in_page_has_a_nonce_policy_permissions_policy_and_no_store(tenant_a):
    response = tenant_a.client(tenant_a.recruiter).get("/candidates/")
    policy = _policy(response)
    nonce = re.fullmatch(r"'nonce-([A-Za-z0-9+/=]+)'", policy["script-src"]).group(1)
    assert f'nonce="{nonce}"' in response.content.decode()  # htmx and app.js carry it
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert "unsafe-eval" not in response["Content-Security-Policy"]
    assert policy["style-src"] == "'self'"
    assert policy["default-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["base-uri"] == "'none'" and policy["object-src"] == "'none'"
    assert "camera=()" in response["Permissions-Policy"]
    assert "publickey-credentials-get=(self)" in response["Permissions-Policy"]
    assert response["Cache-Control"] == "no-store"
    again = tenant_a.client(tenant_a.recruiter).get("/candidates/")
    assert _policy(again)["script-src"] != policy["script-src"]  # fresh on every response


def test_htmx_is_configured_not_to_eval_or_inject_styles(tenant_a):
    html = tenant_a.client(tenant_a.recruiter).get("/").content.decode()
    config = re.search(r'<meta name="htmx-config" content=\'([^\']+)\'', html).group(1)
    assert '"includeIndicatorStyles": false' in config
    assert '"allowEval": false' in config
    assert '"allowScriptTags": false' in config


def test_public_pages_have_the_policy_but_may_be_cached(tenant_a):
    response = tenant_a.client().get("/candidates/jobs/")
    assert "'nonce-" in response["Content-Security-Policy"]
    assert "no-store" not in response.get("Cache-Control", "")
    assert response["Permissions-Policy"]


def test_candidate_token_pages_are_not_stored(tenant_a):
    response = tenant_a.client().get(path_of(links.preferences_url(person())))
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert "'nonce-" in response["Content-Security-Policy"]


def test_error_pages_carry_the_policy(tenant_a):
    response = tenant_a.client().get("/no-such-page/")
    assert response.status_code == 404
    assert "'nonce-" in response["Content-Security-Policy"]
    unknown_host = Client(HTTP_HOST="nobody.localhost").get("/")
    assert unknown_host.status_code == 404
    assert "default-src 'none'" in unknown_host["Content-Security-Policy"]


def test_the_theme_stylesheet_carries_the_tenant_colour_and_stays_cacheable(tenant_a):
    tenant = tenant_a.tenant
    tenant.primary_colour = "#aa3300"
    tenant.save()
    client = tenant_a.client(tenant_a.recruiter)
    html = client.get("/").content.decode()
    href = re.search(r'href="(/branding/theme\.css\?v=[^"]+)"', html).group(1)
    assert href.endswith("?v=aa3300")
    theme = client.get(href)
    assert theme["Content-Type"].startswith("text/css")
    assert theme.content.decode().strip() == ":root { --brand: #aa3300; }"
    # Public, not personal: the signed-in no-store rule leaves it alone.
    assert "public" in theme["Cache-Control"] and "no-store" not in theme["Cache-Control"]


@pytest.mark.django_db
def test_django_admin_gets_its_own_scoped_policy():
    response = Client(HTTP_HOST="localhost").get("/admin/login/")
    assert response.status_code == 200
    policy = _policy(response)
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self' 'unsafe-inline'"
    assert policy["frame-ancestors"] == "'none'" and policy["default-src"] == "'none'"
    # Only the admin: the public landing page keeps the strict policy.
    landing = _policy(Client(HTTP_HOST="localhost").get("/"))
    assert landing["style-src"] == "'self'" and landing["script-src"].startswith("'nonce-")


def test_email_previews_load_in_a_sandboxed_frame_with_their_own_policy(tenant_a):
    from mailing.previews import preview_store

    url = preview_store('<p style="color:red">Hi</p>', user=tenant_a.recruiter)
    response = tenant_a.client(tenant_a.recruiter).get(url)
    policy = _policy(response)
    assert "sandbox" in policy and policy["style-src"] == "'unsafe-inline'"
    assert policy["frame-ancestors"] == "'self'" and response["X-Frame-Options"] == "SAMEORIGIN"
    assert "script-src" not in policy and policy["default-src"] == "'none'"
    assert tenant_a.client(tenant_a.hr_admin).get(url).status_code == 404  # someone else's
