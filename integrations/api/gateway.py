"""What every API operation goes through before and after django-ninja: the body size limit,
the API key (401 for a missing, unknown, revoked or other tenant's key), the per-key rate limit
(429 + Retry-After), one transaction per request (rolled back on a server error) and
Idempotency-Key replays for POSTs. Every answer is in English, whatever the company's
language: programs match on a problem's `type` and `errors[].pointer`, people read `title` and
`detail` in the language of the API's documentation (docs/CONTRACTS.md, integrations).

It wraps the view functions of ninja's URL patterns, so these rules hold for every operation
without each one repeating them; ninja's own auth classes then only check the key's scopes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation

from accounts.permissions import API_KEY
from integrations.api.problems import ApiProblem, problem_response
from integrations.keys import KeyProblem, api_key_authenticate, rate_limit_take
from integrations.models import ApiKey, IdempotencyRecord

# A first request that has not finished after this long died: its key may be used again.
ABANDONED_AFTER = timedelta(seconds=120)
_REPLAYED_HEADERS = ("Content-Type", "Location", "ETag")
# The language of every API answer (and of its documentation).
API_LANGUAGE = "en"


def max_body_bytes() -> int:
    return int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)


def _authenticate(request: HttpRequest) -> ApiKey:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    challenge = {"WWW-Authenticate": 'Bearer realm="api"'}
    if not header:
        raise ApiProblem(
            401,
            "Send your API key as `Authorization: Bearer <key>`. HR admins create keys under "
            "Settings → Integrations.",
            kind="missing-api-key",
            headers=challenge,
        )
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiProblem(
            401, "Use the Bearer scheme: `Authorization: Bearer <key>`.", headers=challenge
        )
    try:
        return api_key_authenticate(token)
    except KeyProblem as exc:
        raise ApiProblem(401, str(exc), kind="invalid-api-key", headers=challenge) from None


def _read_body(request: HttpRequest) -> bytes:
    limit = max_body_bytes()
    too_big = ApiProblem(
        413,
        f"The request body is larger than {limit // (1024 * 1024)} MB; send fewer items per "
        "request (batches take at most 1,000 candidates).",
    )
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise ApiProblem(400, "The Content-Length header is not a number.") from None
    if length > limit:
        raise too_big
    try:
        return request.body
    except RequestDataTooBig:
        raise too_big from None


def _request_hash(request: HttpRequest, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (request.method or "", request.get_full_path()):
        digest.update(part.encode() + b"\0")
    digest.update(body)
    return digest.hexdigest()


def _idempotency_key(request: HttpRequest) -> str | None:
    value = request.headers.get("Idempotency-Key")
    if value is None or request.method != "POST":
        return None
    value = value.strip().strip('"')
    if not 1 <= len(value) <= 255 or not value.isascii() or not value.isprintable():
        raise ApiProblem(
            400,
            "Idempotency-Key must be 1 to 255 printable ASCII characters (a UUID is ideal).",
            errors=[{"location": "header", "pointer": "Idempotency-Key", "detail": "invalid"}],
        )
    return value


def _replay(record: IdempotencyRecord) -> HttpResponse:
    response = HttpResponse(record.body.encode(), status=record.status)
    for name, value in record.headers.items():
        response[name] = value
    response["Idempotent-Replayed"] = "true"
    return response


def _claim(key: ApiKey, idem: str, request: HttpRequest, fingerprint: str) -> Any:
    """A replayed response, or the fresh pending record this request now owns."""
    horizon = timezone.now() - timedelta(hours=settings.API_IDEMPOTENCY_HOURS)
    record = IdempotencyRecord.objects.filter(api_key=key, key=idem).first()
    if record is not None:
        pending_dead = record.status == 0 and timezone.now() - record.created_at > ABANDONED_AFTER
        if record.created_at < horizon or pending_dead:
            record.delete()
        elif record.request_hash != fingerprint:
            raise ApiProblem(
                422,
                "This Idempotency-Key was already used for a different request; use a new key "
                "for a new request.",
                kind="idempotency-key-reused",
            )
        elif record.status == 0:
            raise ApiProblem(
                409,
                "A request with this Idempotency-Key is still being processed; retry shortly.",
                kind="idempotency-key-in-use",
                headers={"Retry-After": "1"},
            )
        else:
            return _replay(record)
    try:
        with transaction.atomic():
            return IdempotencyRecord.objects.create(
                api_key=key,
                key=idem,
                method=request.method or "POST",
                path=request.path[:500],
                request_hash=fingerprint,
            )
    except IntegrityError:
        raise ApiProblem(
            409,
            "A request with this Idempotency-Key is still being processed; retry shortly.",
            kind="idempotency-key-in-use",
            headers={"Retry-After": "1"},
        ) from None


def _store(record: IdempotencyRecord, response: HttpResponse) -> None:
    record.status = response.status_code
    record.headers = {h: response[h] for h in _REPLAYED_HEADERS if response.has_header(h)}
    record.body = response.content.decode("utf-8", errors="replace")
    record.save(update_fields=["status", "headers", "body"])


def api_gateway(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    guarded = _guarded(view)

    @wraps(view)
    def english(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # The staff-language middleware chose the company's language for this keyless request;
        # a service refusal worded through gettext would otherwise answer in it.
        with translation.override(API_LANGUAGE):
            response = guarded(request, *args, **kwargs)
        response["Content-Language"] = API_LANGUAGE
        return response

    english.access = API_KEY  # type: ignore[attr-defined]
    return english


def _guarded(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        record = None
        try:
            body = _read_body(request)
            key = _authenticate(request)
            decision = rate_limit_take(key)
            if not decision.allowed:
                raise ApiProblem(
                    429,
                    f"This key may make {decision.limit} requests a minute; retry after "
                    f"{decision.retry_after} s.",
                    headers={
                        "Retry-After": str(decision.retry_after),
                        "RateLimit-Limit": str(decision.limit),
                        "RateLimit-Remaining": "0",
                    },
                )
            request.api_key = key  # type: ignore[attr-defined]
            idem = _idempotency_key(request)
            if idem is not None:
                claimed = _claim(key, idem, request, _request_hash(request, body))
                if isinstance(claimed, HttpResponse):
                    return claimed
                record = claimed
        except ApiProblem as problem:
            return problem_response(problem)

        try:
            with transaction.atomic():
                response = view(request, *args, **kwargs)
                if response.status_code >= 500:
                    transaction.set_rollback(True)
                elif record is not None:
                    _store(record, response)
        except BaseException:
            if record is not None:
                IdempotencyRecord.objects.filter(pk=record.pk).delete()
            raise
        if record is not None and response.status_code >= 500:
            IdempotencyRecord.objects.filter(pk=record.pk).delete()
        if decision.limit:
            response["RateLimit-Limit"] = str(decision.limit)
            response["RateLimit-Remaining"] = str(decision.remaining)
        return response

    return wrapper
