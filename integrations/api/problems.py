"""Errors of the REST API as `application/problem+json` (RFC 9457): a `type` URI, a short
`title`, the `status`, a `detail` saying what to do, and for invalid input the list of field
errors (`errors`: where, which field as a JSON pointer, and why)."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpResponse
from pydantic import BaseModel as Schema

PROBLEM_CONTENT_TYPE = "application/problem+json"
TYPE_BASE = "https://talentcrm.example/problems/"

TITLES = {
    400: "Malformed request",
    401: "Authentication required",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    412: "Precondition failed",
    413: "Request body too large",
    415: "Unsupported media type",
    422: "Invalid input",
    428: "Precondition required",
    429: "Too many requests",
    500: "Server error",
}


class FieldError(Schema):
    location: str  # body, query, path or header
    pointer: str  # JSON pointer into the body ("/candidates/3/email") or the parameter name
    detail: str


class Problem(Schema):
    type: str
    title: str
    status: int
    detail: str
    errors: list[FieldError] | None = None


class ApiProblem(Exception):
    """Raise from an operation (or the gateway) to answer with a problem document."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        kind: str = "",
        title: str = "",
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.kind = kind or TITLES.get(status, "error").lower().replace(" ", "-")
        self.title = title or TITLES.get(status, "Error")
        self.errors = errors
        self.headers = headers or {}


def problem_body(problem: ApiProblem) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": TYPE_BASE + problem.kind,
        "title": problem.title,
        "status": problem.status,
        "detail": problem.detail,
    }
    if problem.errors:
        body["errors"] = problem.errors
    return body


def problem_response(problem: ApiProblem) -> HttpResponse:
    response = HttpResponse(
        json.dumps(problem_body(problem)),
        status=problem.status,
        content_type=PROBLEM_CONTENT_TYPE,
    )
    for name, value in problem.headers.items():
        response[name] = value
    return response


def field_errors_from_ninja(errors: list[dict[str, Any]]) -> list[dict[str, str]]:
    """ninja/pydantic error dicts ({"loc": ["body", "payload", "email"], "msg": ...}) -> ours."""
    result = []
    for error in errors:
        loc = [str(part) for part in error.get("loc", [])]
        location = loc[0] if loc else "body"
        path = loc[1:]
        # ninja nests the body under the operation's argument name; callers know the body only.
        if location == "body" and path:
            path = path[1:]
        message = str(error.get("msg", "invalid"))
        if error.get("type") == "extra_forbidden":
            message = "Unknown field: not part of this resource."
        elif error.get("type") == "missing":
            message = "This field is required."
        result.append(
            {
                "location": location,
                "pointer": "/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in path),
                "detail": message,
            }
        )
    return result
