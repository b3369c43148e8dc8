"""The access export (GDPR art. 15): everything held about a person, as JSON and as a readable PDF.

Besides the profile it walks every relation pointing at the candidate, so rows other apps add
later (pool memberships, call logs, campaign sends...) are included without changes here.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models
from django.template.loader import render_to_string

from candidates.models import Candidate

# Internal plumbing that says nothing about the person; `html` repeats the text part.
_SKIP_FIELDS = {
    "lease_until",
    "attempts",
    "send_key",
    "esp_message_id",
    "link_key",
    "headers",
    "html",
}


def _row(obj: models.Model) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        if field.name in _SKIP_FIELDS or isinstance(field, models.BinaryField):
            continue
        value = getattr(obj, field.attname)
        if isinstance(field, models.FileField):
            value = value.name.rsplit("/", 1)[-1] if value else ""
        data[field.name] = value
    return data


def candidate_export(candidate: Candidate) -> dict[str, Any]:
    profile = _row(candidate)
    profile["skills"] = sorted(candidate.skills.names())
    profile["tags"] = sorted(candidate.tags.names())
    held: dict[str, list[dict[str, Any]]] = {}
    for relation in Candidate._meta.related_objects:
        model = relation.related_model
        if model is Candidate or relation.many_to_many:
            continue
        if relation.field.name == "content_object":
            continue  # skills and tags, listed on the profile
        rows = model._default_manager.filter(**{relation.field.name: candidate})
        label = f"{model._meta.app_label}.{model._meta.model_name}"
        items = [_row(obj) for obj in rows.order_by("pk")]
        if items:
            held[label] = items
    return {"profile": profile, "records": held}


def candidate_export_json(candidate: Candidate) -> bytes:
    return json.dumps(
        candidate_export(candidate), cls=DjangoJSONEncoder, indent=2, ensure_ascii=False
    ).encode()


def candidate_export_pdf(candidate: Candidate) -> bytes:
    from weasyprint import HTML

    data = candidate_export(candidate)
    sections = [
        {
            "title": label.split(".", 1)[1].replace("_", " ").title(),
            "rows": rows,
        }
        for label, rows in data["records"].items()
    ]
    html = render_to_string(
        "consent/export_pdf.html",
        {
            "candidate": candidate,
            "profile": data["profile"],
            "sections": sections,
            "current_tenant": connection.tenant,
        },
    )
    # No base URL: the document can load nothing from anywhere.
    return HTML(string=html).write_pdf()
