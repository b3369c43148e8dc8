from __future__ import annotations

from django.db.models import Q, QuerySet
from django.db.models.fields.json import KeyTextTransform

from mailing.models import Message


def messages_filtered(*, status: str = "", q: str = "") -> QuerySet[Message]:
    queryset = Message.objects.select_related("candidate").defer("html", "text")
    if status:
        queryset = queryset.filter(status=status)
    if q:
        queryset = queryset.filter(Q(to_email__icontains=q) | Q(subject__icontains=q))
    return queryset


def status_counts() -> dict[str, int]:
    from django.db.models import Count

    return dict(Message.objects.values_list("status").annotate(n=Count("id")).order_by())


def messages_by_message_id(message_ids: list[str]) -> QuerySet[Message]:
    """Our messages whose Message-ID header is one of `message_ids` (as written, with the angle
    brackets): the message a reply answers (In-Reply-To, References). Uses the index."""
    return Message.objects.annotate(mid=KeyTextTransform("Message-ID", "headers")).filter(
        mid__in=message_ids
    )


def message_by_message_id_prefix(prefix: str) -> Message | None:
    """The message whose Message-ID starts with `prefix` (e.g. "<digest.schema@": a reply token
    knows the digest, not the sender domain the tenant had when it was sent)."""
    if not prefix:
        return None
    return (
        Message.objects.annotate(mid=KeyTextTransform("Message-ID", "headers"))
        .filter(mid__startswith=prefix)
        .order_by("pk")
        .first()
    )
