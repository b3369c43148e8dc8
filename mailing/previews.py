"""Email previews in a sandboxed frame that loads the email from its own URL.

A page's Content-Security-Policy also governs an `<iframe srcdoc>` (the frame inherits it), and
there the email's inlined `style=""` attributes would be refused: the preview would not look like
the email. So a preview is kept for a while under a random key, bound to the user who made it, and
`mailing:preview` serves it with a policy of its own (styles yes; scripts, forms, plugins and
navigation of the app no).
"""

from __future__ import annotations

import secrets
from typing import Any

from django.core.cache import cache
from django.http import HttpResponse
from django.urls import reverse

PREVIEW_SECONDS = 3600
# The frame's own policy: the email's inline styles and remote images, nothing else; `sandbox`
# gives it an opaque origin, so it cannot read or drive the page around it.
EMAIL_FRAME_CSP = (
    "sandbox; default-src 'none'; img-src https: http: data:; style-src 'unsafe-inline'; "
    "frame-ancestors 'self'"
)


def _key(key: str) -> str:
    return f"mailing:preview:{key}"  # the cache's key function adds the tenant schema


def preview_store(html: str, *, user: Any) -> str:
    """Keep `html` for PREVIEW_SECONDS; returns the URL of the frame that shows it."""
    key = secrets.token_urlsafe(18)
    cache.set(_key(key), {"user": user.pk, "html": html}, PREVIEW_SECONDS)
    return reverse("mailing:preview", args=[key])


def preview_load(key: str, *, user: Any) -> str | None:
    """The stored preview, for the user who made it only."""
    stored = cache.get(_key(key))
    if not stored or stored.get("user") != user.pk:
        return None
    return str(stored["html"])


def email_frame_response(html: str) -> HttpResponse:
    response = HttpResponse(html)
    response["Content-Security-Policy"] = EMAIL_FRAME_CSP
    response["X-Frame-Options"] = "SAMEORIGIN"
    return response
