"""/api/v1 pools (list, members) and messages (status of what we sent)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Router
from pydantic import Field

from integrations.api.common import COMMON_ERRORS, READ, get_or_404, id_page
from integrations.api.schemas import MemberPage, MessageOut, MessagePage, PoolOut
from mailing.models import Message, MessageStatus
from pools.models import Pool
from pools.selectors import pool_members, pool_problem

router = Router()
Cursor = Annotated[str | None, Field(max_length=500)]
Limit = Annotated[int, Field(ge=1, le=200)]
Id = Annotated[int, Field(ge=1, le=2**62)]
if TYPE_CHECKING:
    StatusValue = str  # the Literal below, which mypy cannot evaluate (see api/schemas.py)
else:
    StatusValue = Literal[tuple(MessageStatus.values)]


def pool_data(pool: Pool) -> dict[str, Any]:
    return {
        "id": pool.pk,
        "name": pool.name,
        "kind": pool.kind,
        "description": pool.description,
        "problem": pool_problem(pool),
    }


@router.get(
    "/pools",
    response={200: list[PoolOut], **COMMON_ERRORS},
    auth=READ,
    operation_id="pools_list",
    tags=["pools"],
)
def pools_list(request: HttpRequest) -> Any:
    """Smart and static pools; `problem` says why a smart pool currently has no members (its
    saved criteria name a deleted tag or stage)."""
    return [pool_data(p) for p in Pool.objects.order_by("name")]


@router.get(
    "/pools/{pool_id}/members",
    response={200: MemberPage, **COMMON_ERRORS},
    auth=READ,
    operation_id="pools_members",
    tags=["pools"],
)
def pools_members(
    request: HttpRequest, pool_id: int, cursor: Cursor = None, limit: Limit = 50
) -> Any:
    pool = get_or_404(Pool.objects.all(), "pool", pk=pool_id)
    members = pool_members(pool).only("id", "email", "first_name", "last_name")  # type: ignore[arg-type]
    rows, next_cursor = id_page(members, cursor, limit)
    return {
        "items": [
            {"id": c.pk, "email": c.email, "first_name": c.first_name, "last_name": c.last_name}
            for c in rows
        ],
        "next_cursor": next_cursor,
    }


def message_data(message: Message) -> dict[str, Any]:
    return {
        "id": message.pk,
        "candidate_id": message.candidate_id,
        "kind": message.kind,
        "status": message.status,
        "subject": message.subject,
        "queued_at": message.queued_at,
        "sent_at": message.sent_at,
        "updated_at": message.updated_at,
    }


def _messages() -> Any:
    return Message.objects.only(
        "id", "candidate_id", "kind", "status", "subject", "queued_at", "sent_at", "updated_at"
    )


@router.get(
    "/messages",
    response={200: MessagePage, **COMMON_ERRORS},
    auth=READ,
    operation_id="messages_list",
    tags=["messages"],
)
def messages_list(
    request: HttpRequest,
    candidate_id: Id | None = None,
    status: StatusValue | None = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> Any:
    queryset = _messages()
    if candidate_id:
        queryset = queryset.filter(candidate_id=candidate_id)
    if status:
        queryset = queryset.filter(status=status)
    rows, next_cursor = id_page(queryset, cursor, limit)
    return {"items": [message_data(m) for m in rows], "next_cursor": next_cursor}


@router.get(
    "/messages/{message_id}",
    response={200: MessageOut, **COMMON_ERRORS},
    auth=READ,
    operation_id="messages_get",
    tags=["messages"],
)
def messages_get(request: HttpRequest, message_id: int) -> Any:
    return message_data(get_or_404(_messages(), "message", pk=message_id))  # type: ignore[arg-type]
