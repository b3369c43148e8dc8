"""The API documentation page (Swagger UI from the django-ninja wheel) works under a strict
Content-Security-Policy with nonces: scripts run only with the request's nonce, no inline style,
nothing from another host. The policy is set here the way a CSP middleware would (a nonce on the
request, the header on the response)."""

from __future__ import annotations

import secrets

from playwright.sync_api import expect

from integrations.api import CspSwagger


def test_api_docs_render_under_a_strict_csp(site, page, monkeypatch):
    render_page = CspSwagger.render_page

    def with_csp(self, request, api, **kwargs):  # type: ignore[no-untyped-def]
        request.csp_nonce = secrets.token_urlsafe(16)
        response = render_page(self, request, api, **kwargs)
        response["Content-Security-Policy"] = (
            f"default-src 'none'; script-src 'nonce-{request.csp_nonce}'; style-src 'self'; "
            "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; "
            "frame-ancestors 'none'"
        )
        return response

    monkeypatch.setattr(CspSwagger, "render_page", with_csp)
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text)
            if "Content Security Policy" in message.text or "Refused to" in message.text
            else None
        ),
    )
    page.goto(site.url("/api/v1/docs"))
    expect(page.get_by_text("Talent CRM API").first).to_be_visible()
    expect(page.locator(".opblock").first).to_be_visible()
    page.locator(".opblock-summary", has_text="/api/v1/candidates/batch").first.click()
    expect(page.get_by_text("All or nothing").first).to_be_visible()
    assert violations == []
    assert site.foreign_requests() == []
