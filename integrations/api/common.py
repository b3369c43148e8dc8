"""Shared pieces of the API operations: scope checks, cursor pagination, ETags, the JSON body
parser and the responses every operation documents."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from ninja.parser import Parser
from ninja.security import HttpBearer

from integrations.api.problems import ApiProblem, Problem
from integrations.models import ApiKey, ApiScope

MAX_PAGE = 200
DEFAULT_PAGE = 50

# Every operation can answer these (documented so clients and schemathesis know them).
COMMON_ERRORS = {
    400: Problem,
    401: Problem,
    403: Problem,
    404: Problem,
    409: Problem,
    413: Problem,
    422: Problem,
    429: Problem,
}
UPDATE_ERRORS = {**COMMON_ERRORS, 412: Problem, 428: Problem}


class BearerApiKey(HttpBearer):
    """`Authorization: Bearer <API key>` with the scope an operation needs. The key itself was
    already checked by the gateway (integrations.api.gateway); this only checks the scope."""

    def __init__(self, scope: str) -> None:
        super().__init__()
        self.scope = scope

    def authenticate(self, request: HttpRequest, token: str) -> ApiKey | None:
        key: ApiKey | None = getattr(request, "api_key", None)
        if key is None:
            return None
        if not key.has_scope(self.scope):
            raise ApiProblem(
                403,
                f"This API key lacks the “{self.scope}” scope; an HR admin can create a key "
                "with it under Settings → Integrations.",
                kind="missing-scope",
            )
        return key


READ = BearerApiKey(ApiScope.READ)
WRITE = BearerApiKey(ApiScope.WRITE)
REJECT = BearerApiKey(ApiScope.REJECT)


def actor_label(request: HttpRequest) -> str:
    key: ApiKey = request.auth  # type: ignore[attr-defined]
    return f"API key “{key.name}”"


# --- JSON bodies --------------------------------------------------------------------------------


def _has_bad_text(value: Any) -> bool:
    if isinstance(value, str):
        if "\x00" in value:
            return True
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # an unpaired surrogate (\ud800) from a JSON escape
            return True
        return False
    if isinstance(value, dict):
        return any(_has_bad_text(k) or _has_bad_text(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_bad_text(v) for v in value)
    return False


_SUSPECT_ESCAPE = re.compile(rb"\\u(0000|[dD][89a-fA-F])")


class StrictJsonParser(Parser):
    """JSON bodies only (a form or text body is not silently read as nothing), as UTF-8, without
    NUL characters or unpaired surrogates anywhere (PostgreSQL cannot store them)."""

    def parse_body(self, request: HttpRequest) -> Any:
        content_type = request.content_type or ""
        if content_type and not (
            content_type == "application/json" or content_type.endswith("+json")
        ):
            raise ValueError(f"content type {content_type} is not JSON")
        data = json.loads(request.body)
        # Only an escape can put a NUL (\u0000) or a surrogate (\ud800-\udfff) into a string
        # (raw control characters are invalid JSON and invalid UTF-8 fails to decode): walk the
        # data only when the text has such an escape.
        if _SUSPECT_ESCAPE.search(request.body) and _has_bad_text(data):
            raise ValueError("text with NUL characters or unpaired surrogates")
        return data


def query_text_check(request: HttpRequest, allowed: Iterable[str]) -> None:
    """Refuse unknown query parameters (a misspelt filter must not return everything) and text
    PostgreSQL cannot hold."""
    known = set(allowed)
    errors = []
    for name, values in request.GET.lists():
        if name not in known:
            errors.append(
                {"location": "query", "pointer": name, "detail": "Unknown query parameter."}
            )
        elif any(_has_bad_text(v) for v in values):
            errors.append(
                {"location": "query", "pointer": name, "detail": "Contains a NUL character."}
            )
    if errors:
        raise ApiProblem(422, "Some query parameters are not valid.", errors=errors)


# --- Pagination ---------------------------------------------------------------------------------


def cursor_encode(values: Sequence[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(values)).encode()).decode().rstrip("=")


def cursor_decode(cursor: str, types: Sequence[Callable[[Any], Any]]) -> list[Any]:
    invalid = ApiProblem(
        422,
        "This cursor is not valid: pass the `next_cursor` of the previous page as it was.",
        errors=[{"location": "query", "pointer": "cursor", "detail": "invalid cursor"}],
    )
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(raw, list) or len(raw) != len(types):
            raise invalid
        return [kind(value) for kind, value in zip(types, raw, strict=True)]
    except ApiProblem:
        raise
    except (ValueError, TypeError, UnicodeDecodeError, OverflowError):
        raise invalid from None


def page_limit(limit: int | None) -> int:
    return DEFAULT_PAGE if limit is None else limit


def id_page(queryset: QuerySet, cursor: str | None, limit: int) -> tuple[list[Any], str | None]:
    """Keyset pagination by id (stable while rows are added or changed)."""
    if cursor:
        (after,) = cursor_decode(cursor, [int])
        queryset = queryset.filter(pk__gt=after)
    rows = list(queryset.order_by("pk")[: limit + 1])
    next_cursor = cursor_encode([rows[limit - 1].pk]) if len(rows) > limit else None
    return rows[:limit], next_cursor


# --- ETags --------------------------------------------------------------------------------------


def etag_of(data: dict[str, Any]) -> str:
    digest = hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()
    return f'"{digest[:32]}"'


def if_match_check(request: HttpRequest, current: str) -> None:
    """Updates need `If-Match` with the ETag the client last read (428 without it, 412 when the
    resource changed since), so two systems never overwrite each other's change unseen."""
    header = request.headers.get("If-Match")
    if header is None:
        raise ApiProblem(
            428,
            "Send If-Match with the ETag of the version you read (GET the resource first), or "
            "If-Match: * to overwrite whatever is there.",
        )
    tags = [t.strip().removeprefix("W/") for t in header.split(",") if t.strip()]
    if "*" in tags or current in tags:
        return
    raise ApiProblem(
        412,
        "The resource changed since you read it: GET it again, re-apply your change and send "
        "the new ETag.",
        headers={"ETag": current},
    )


def with_etag(response: HttpResponse, data: dict[str, Any]) -> HttpResponse:
    response["ETag"] = etag_of(data)
    return response


def get_or_404(queryset: QuerySet, what: str, **lookup: Any) -> Model:
    try:
        return queryset.get(**lookup)
    except (ObjectDoesNotExist, ValueError, OverflowError):
        raise ApiProblem(404, f"No {what} with this id exists here.") from None
