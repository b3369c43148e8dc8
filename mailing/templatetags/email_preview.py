from __future__ import annotations

from typing import Any

from django import template

from mailing.previews import preview_store

register = template.Library()


@register.simple_tag(takes_context=True)
def email_preview_src(context: dict[str, Any], html: str) -> str:
    """`<iframe sandbox src="{% email_preview_src preview.html %}">`: never srcdoc (see
    mailing/previews.py)."""
    return preview_store(html, user=context["request"].user)
