"""REST API v1 (django-ninja), on each tenant's host under /api/v1/.

`urlpatterns` are ninja's, each operation wrapped by the gateway (key, rate limit, transaction,
idempotency). The OpenAPI 3.1 document (/api/v1/openapi.json) is ninja's, completed here with
what ninja cannot know: problem+json error bodies, the Idempotency-Key and If-Match headers and
the candidate list's criteria parameters (registered by several apps).
"""

from __future__ import annotations

import logging
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.openapi.docs import DocsBase

from accounts.permissions import public_view
from integrations.api import candidates, jobs, misc
from integrations.api.common import StrictJsonParser
from integrations.api.gateway import api_gateway, max_body_bytes
from integrations.api.problems import (
    PROBLEM_CONTENT_TYPE,
    ApiProblem,
    field_errors_from_ninja,
    problem_response,
)

log = logging.getLogger(__name__)

DESCRIPTION = """
The talent CRM's API for the company's other systems (ATS, HRIS, career site, automation).

**Authentication**: `Authorization: Bearer <API key>`. HR admins create keys under
Settings → Integrations (scopes `read`, `write`, `reject`); each key is rate limited (429 with
`Retry-After`).

**Writes**: every POST accepts an `Idempotency-Key` header (the same key and body within 24 h
replay the first answer, marked `Idempotent-Replayed: true`; the same key with another body is
a 422). PATCH needs `If-Match` with the resource's `ETag` (428 without it, 412 if it changed).

**Errors** are `application/problem+json` (RFC 9457) with `errors[]` naming each invalid field
as a JSON pointer. Unknown fields are refused.
"""


class CspSwagger(DocsBase):
    """Swagger UI from the assets inside the django-ninja wheel (no CDN), with no inline
    script: the settings travel in a JSON data block, and the scripts carry the request's CSP
    nonce when a Content-Security-Policy middleware provides one."""

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        settings = {
            "url": self.get_openapi_url(api, kwargs),
            "layout": "BaseLayout",
            "deepLinking": True,
            "persistAuthorization": False,
        }
        return render(request, "integrations/api_docs.html", {"api": api, "settings": settings})


class TenantApi(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix: str | None = None, path_params: Any = None):  # type: ignore[no-untyped-def]
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        return complete_schema(schema)


def complete_schema(schema: dict[str, Any]) -> dict[str, Any]:
    idempotency = {
        "name": "Idempotency-Key",
        "in": "header",
        "required": False,
        "description": "Replays the first answer to the same request for 24 h.",
        "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"},
    }
    if_match = {
        "name": "If-Match",
        "in": "header",
        "required": False,
        "description": "The ETag you read (or *). Without it: 428.",
        "schema": {"type": "string", "maxLength": 500, "pattern": "^[ -~]*$"},
    }
    for operations in schema.get("paths", {}).values():
        for method, operation in operations.items():
            if not isinstance(operation, dict):
                continue
            parameters = operation.setdefault("parameters", [])
            if method == "post":
                parameters.append(idempotency)
            if method == "patch":
                parameters.append(if_match)
            if operation.get("operationId") == "candidates_list":
                parameters.extend(candidates.criteria_parameters())
            if operation.get("requestBody"):
                operation["requestBody"]["required"] = True
            for status, answer in operation.get("responses", {}).items():
                content = answer.get("content", {})
                if str(status).isdigit() and int(status) >= 400 and "application/json" in content:
                    answer["content"] = {PROBLEM_CONTENT_TYPE: content["application/json"]}
    return schema


api = TenantApi(
    title="Talent CRM API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    docs=CspSwagger(),
    docs_url="/docs",
    openapi_url="/openapi.json",
    parser=StrictJsonParser(),
)
api.add_router("", candidates.router)
api.add_router("", jobs.router)
api.add_router("", misc.router)


@api.exception_handler(ApiProblem)
def _problem(request: HttpRequest, exc: ApiProblem) -> HttpResponse:
    return problem_response(exc)


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return problem_response(
        ApiProblem(
            422,
            "Some of the input is not valid; see `errors`.",
            errors=field_errors_from_ninja(exc.errors),
        )
    )


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return problem_response(
        ApiProblem(401, "Send a valid API key as `Authorization: Bearer <key>`.")
    )


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 400:
        detail = (
            "The body is not valid JSON: send `Content-Type: application/json` and UTF-8 JSON "
            "text without NUL characters or unpaired surrogates."
        )
        return problem_response(ApiProblem(400, detail, kind="malformed-json"))
    return problem_response(ApiProblem(exc.status_code, str(exc)))


@api.exception_handler(Exception)
def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    log.exception("API operation failed")
    return problem_response(
        ApiProblem(500, "Something went wrong on our side; nothing was changed. Retry later.")
    )


_DOC_VIEWS = {"openapi-json", "openapi-view", "api-root"}


def _wrapped(pattern: URLPattern) -> URLPattern:
    if pattern.name in _DOC_VIEWS:
        view = public_view(pattern.callback)
    else:
        view = api_gateway(pattern.callback)
    return path(str(pattern.pattern), view, name=pattern.name)


urlpatterns = [_wrapped(p) for p in api.urls[0]]  # type: ignore[arg-type]
app_name = "api"

__all__ = ["api", "app_name", "max_body_bytes", "urlpatterns"]
