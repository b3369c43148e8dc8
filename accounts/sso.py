"""Single sign-on with the tenant's own OpenID Connect provider (authorisation code + PKCE).

Why authlib's Django client and not django-allauth's or mozilla-django-oidc: allauth skips the
ID token's signature check when the token came from the token endpoint and sends no nonce;
mozilla-django-oidc reads one provider from settings, not one per tenant, and has no discovery.
authlib is built from the specs: discovery, PKCE (S256), state and nonce kept in the session,
and an ID token checked against the provider's JWKS. We create its client per request from the
tenant's SignInPolicy, and add what it leaves to the caller: the discovery document must name
exactly the configured issuer, the audience must be our client id (authlib only checks `azp`),
and only asymmetric signatures are accepted (never `none` or a shared-secret HMAC).
"""

from __future__ import annotations

import logging
from typing import Any

import requests
from authlib.integrations.base_client import OAuthError
from authlib.integrations.django_client import DjangoOAuth2App
from authlib.integrations.django_client.integration import DjangoIntegration
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from joserfc.errors import JoseError

from accounts.crypto import SecretUnreadable, secret_decrypt
from accounts.models import ExternalIdentity, Role, SignInPolicy, User
from accounts.services import audit_log_record

log = logging.getLogger(__name__)

SIGNING_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384"]
SCOPE = "openid email profile"


class SsoError(Exception):
    """Single sign-on failed; the message is shown to the person signing in."""


def discovery_url(issuer: str) -> str:
    return issuer.rstrip("/") + "/.well-known/openid-configuration"


def _check_metadata(metadata: dict[str, Any], issuer: str) -> None:
    if metadata.get("issuer") != issuer:
        raise SsoError(
            _(
                "The provider's discovery document names the issuer %(found)r, not %(issuer)r "
                "(they must be identical)."
            )
            % {"found": metadata.get("issuer"), "issuer": issuer}
        )
    for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not isinstance(metadata.get(key), str):
            raise SsoError(_("The provider's discovery document has no %(key)s.") % {"key": key})
    if "code" not in metadata.get("response_types_supported", ["code"]):
        raise SsoError(_("The provider does not offer the authorisation code flow."))
    methods = metadata.get("code_challenge_methods_supported")
    if methods is not None and "S256" not in methods:
        raise SsoError(_("The provider does not support PKCE with S256."))


def discovery_check(issuer: str) -> dict[str, Any]:
    """Fetch and check the provider's discovery document and keys (settings page, on save)."""
    timeout = settings.SSO_HTTP_TIMEOUT_SECONDS
    try:
        response = requests.get(discovery_url(issuer), timeout=timeout)
        response.raise_for_status()
        metadata = response.json()
        if not isinstance(metadata, dict):
            raise ValueError
        _check_metadata(metadata, issuer)
        keys = requests.get(metadata["jwks_uri"], timeout=timeout)
        keys.raise_for_status()
        jwks = keys.json()
    except requests.RequestException as exc:
        raise SsoError(
            _("Could not reach the provider at %(url)s (%(error)s).")
            % {"url": discovery_url(issuer), "error": type(exc).__name__}
        ) from None
    except ValueError:
        raise SsoError(_("The provider's answer is not a JSON discovery document.")) from None
    if not isinstance(jwks, dict) or not any(
        isinstance(k, dict) and k.get("kty") in ("RSA", "EC") for k in jwks.get("keys", [])
    ):
        raise SsoError(_("The provider publishes no RSA or EC signing key at its jwks_uri."))
    return metadata


class _TenantOIDCApp(DjangoOAuth2App):
    """authlib's client, pinned to the configured issuer and to asymmetric ID token signatures."""

    expected_issuer = ""

    def load_server_metadata(self) -> dict[str, Any]:
        metadata = super().load_server_metadata()
        _check_metadata(metadata, self.expected_issuer)
        advertised = metadata.get("id_token_signing_alg_values_supported") or ["RS256"]
        allowed = [alg for alg in advertised if alg in SIGNING_ALGORITHMS]
        if not allowed:
            raise SsoError(_("The provider signs ID tokens with no algorithm we accept."))
        metadata["id_token_signing_alg_values_supported"] = allowed
        return metadata


def _client(policy: SignInPolicy) -> _TenantOIDCApp:
    if not policy.sso_configured:
        raise SsoError(_("Single sign-on is not set up for this company."))
    try:
        secret = secret_decrypt(policy.oidc_client_secret_encrypted)
    except SecretUnreadable:
        log.error("SSO client secret cannot be decrypted (SECRET_KEY changed?)")
        raise SsoError(
            _("Single sign-on needs its client secret entered again by an HR admin.")
        ) from None
    app = _TenantOIDCApp(
        DjangoIntegration("sso"),
        name="sso",
        client_id=policy.oidc_client_id,
        client_secret=secret,
        server_metadata_url=discovery_url(policy.oidc_issuer),
        client_kwargs={
            "scope": SCOPE,
            "code_challenge_method": "S256",
            "default_timeout": settings.SSO_HTTP_TIMEOUT_SECONDS,
        },
    )
    app.expected_issuer = policy.oidc_issuer
    return app


def _failure(exc: Exception) -> SsoError:
    if isinstance(exc, SsoError):
        return exc
    if isinstance(exc, requests.RequestException):
        return SsoError(_("The identity provider could not be reached. Try again later."))
    log.warning("SSO sign-in refused: %s: %s", type(exc).__name__, exc)
    reason = getattr(exc, "description", None) or getattr(exc, "error", None)
    return SsoError(
        _("The identity provider's answer could not be verified (%(reason)s).")
        % {"reason": str(reason or type(exc).__name__)[:200]}
    )


def sso_redirect(request: HttpRequest, policy: SignInPolicy) -> HttpResponse:
    """Send the browser to the provider, with state, nonce and a PKCE challenge kept in the
    session."""
    try:
        return _client(policy).authorize_redirect(
            request, request.build_absolute_uri(reverse("accounts:sso_callback"))
        )
    except (OAuthError, JoseError, requests.RequestException, SsoError, ValueError) as exc:
        raise _failure(exc) from None


def sso_claims(request: HttpRequest, policy: SignInPolicy) -> dict[str, Any]:
    """Finish the flow at the callback: exchange the code (with the PKCE verifier) and return
    the verified ID token claims (signature, iss, aud, exp, iat, nonce), completed from the
    user info endpoint when the ID token lacks the email or groups."""
    error = request.GET.get("error")
    if error:
        raise SsoError(
            _("The identity provider refused the sign-in (%(error)s).") % {"error": error[:100]}
        )
    client = _client(policy)
    options = {
        "iss": {"essential": True, "value": policy.oidc_issuer},
        "aud": {"essential": True, "value": policy.oidc_client_id},
        "sub": {"essential": True},
        "exp": {"essential": True},
        "iat": {"essential": True},
    }
    try:
        token = client.authorize_access_token(request, claims_options=options, leeway=60)
        claims = token.get("userinfo")
        if not claims:
            raise SsoError(_("The identity provider sent no ID token."))
        claims = dict(claims)
        wanted = {"email"} | ({policy.sso_groups_claim} if policy.sso_maps_groups else set())
        endpoint = client.load_server_metadata().get("userinfo_endpoint")
        if endpoint and not wanted <= claims.keys():
            extra = client.userinfo(token=token)
            if extra.get("sub") != claims["sub"]:
                raise SsoError(_("The user info answer is about someone else."))
            claims = {**extra, **claims}
    except (OAuthError, JoseError, requests.RequestException, SsoError, ValueError) as exc:
        raise _failure(exc) from None
    return claims


def _role_from_groups(policy: SignInPolicy, claims: dict[str, Any]) -> str | None:
    """The role the groups give (HR admin wins), None when groups are not mapped."""
    if not policy.sso_maps_groups:
        return None
    groups = claims.get(policy.sso_groups_claim) or []
    if isinstance(groups, str):
        groups = [groups]
    names = {str(g) for g in groups if isinstance(g, str | int)}
    if names & set(policy.sso_hr_admin_groups):
        return Role.HR_ADMIN
    if names & set(policy.sso_recruiter_groups):
        return Role.RECRUITER
    if policy.sso_require_group:
        raise SsoError(
            _("Your account at the identity provider is in none of the groups allowed here.")
        )
    return policy.sso_default_role


@transaction.atomic
def sso_user_resolve(*, policy: SignInPolicy, claims: dict[str, Any]) -> User:
    """The staff user for verified claims: found by (issuer, subject), else linked by email,
    else created with the default role (or the groups' role). With groups mapped, the role
    follows the groups at every sign-in."""
    role = _role_from_groups(policy, claims)
    identity = (
        ExternalIdentity.objects.select_for_update()
        .select_related("user")
        .filter(issuer=claims["iss"], subject=str(claims["sub"]))
        .first()
    )
    if identity is not None:
        user = identity.user
    else:
        email = str(claims.get("email") or "").strip().lower()
        if not email or "@" not in email:
            raise SsoError(_("The identity provider sent no email address for you."))
        if claims.get("email_verified") is False:
            raise SsoError(_("Your email address is not verified at the identity provider."))
        existing = User.objects.filter(email__iexact=email).first()
        if existing is not None:
            user = existing
        else:
            user = User.objects.create_user(
                email,
                role=role or policy.sso_default_role,
                full_name=str(claims.get("name") or "")[:150],
            )
            audit_log_record(
                actor=None,
                action="user.created_by_sso",
                target=email,
                details={"role": user.role, "issuer": claims["iss"]},
            )
        identity = ExternalIdentity.objects.create(
            user=user, issuer=claims["iss"], subject=str(claims["sub"])
        )
    if not user.is_active:
        raise SsoError(_("Your account here is deactivated. Ask an HR admin."))
    if role and user.role != role:
        previous, user.role = user.role, role
        user.save(update_fields=["role"])
        audit_log_record(
            actor=None,
            action="user.role_changed",
            target=user.email,
            details={"role": role, "previous": previous, "source": "sso groups"},
        )
    identity.last_used_at = timezone.now()
    identity.save(update_fields=["last_used_at"])
    return user
