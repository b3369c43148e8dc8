"""HR admin pages of integrations and the recruiter's view of tasks and replies."""

from __future__ import annotations

from integrations.models import ApiKey


def test_an_api_key_is_shown_once_and_stored_as_a_hash(tenant_a):
    admin = tenant_a.client(tenant_a.hr_admin)
    response = admin.post("/integrations/keys/", {"name": "Career site", "scopes": ["read"]})
    assert response.status_code == 200
    key = ApiKey.objects.get()
    secret = response.context["created"].secret
    assert secret.encode() in response.content and secret.startswith(key.prefix)
    assert secret not in key.key_hash and len(key.key_hash) == 64
    listing = admin.get("/integrations/keys/")
    assert secret.encode() not in listing.content and key.prefix.encode() in listing.content
    admin.post(f"/integrations/keys/{key.pk}/revoke/")
    key.refresh_from_db()
    assert key.revoked_at is not None
    refused = tenant_a.client().get("/api/v1/stages", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert refused.status_code == 401


def test_recruiters_cannot_manage_keys_but_see_the_dashboard_panel(tenant_a):
    recruiter = tenant_a.client(tenant_a.recruiter)
    assert recruiter.get("/integrations/keys/").status_code == 403
    assert (
        recruiter.post("/integrations/keys/", {"name": "x", "scopes": ["read"]}).status_code == 403
    )
    assert not ApiKey.objects.exists()
    dashboard = recruiter.get("/")
    assert b"unmatched repl" in dashboard.content and b"API key" not in dashboard.content


def test_an_invalid_key_form_is_refused_with_a_message(tenant_a):
    admin = tenant_a.client(tenant_a.hr_admin)
    response = admin.post("/integrations/keys/", {"name": "", "scopes": []})
    assert response.status_code == 200 and not ApiKey.objects.exists()
    assert b"field-error" in response.content
