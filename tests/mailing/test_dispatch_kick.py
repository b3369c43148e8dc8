"""One dispatcher run is enqueued after a commit, however many messages the transaction wrote,
through public transaction hooks only: a savepoint rolled back takes its own share with it,
a rolled-back transaction enqueues nothing, and the next transaction still gets its run."""

from __future__ import annotations

import pytest
from django.db import transaction

from mailing.kinds import MessageKind
from mailing.services import message_enqueue


class _Undo(Exception):
    pass


def _enqueue(n: int) -> None:
    message_enqueue(
        send_key=f"kick:{n}",
        kind=MessageKind.TRANSACTIONAL,
        to_email=f"person{n}@example.com",
        subject=f"Hello {n}",
        html=f"<p>Hello {n}</p>",
        text=f"Hello {n}",
    )


def test_many_messages_in_one_transaction_enqueue_one_run(
    tenant_a, django_capture_on_commit_callbacks, dispatch_enqueues
):
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(25):
            _enqueue(n)
        assert dispatch_enqueues == []
    assert len(dispatch_enqueues) == 1


def test_each_committed_transaction_gets_its_own_run(
    tenant_a, django_capture_on_commit_callbacks, dispatch_enqueues
):
    with django_capture_on_commit_callbacks(execute=True):
        _enqueue(1)
    with django_capture_on_commit_callbacks(execute=True):
        _enqueue(2)
        _enqueue(3)
    assert len(dispatch_enqueues) == 2


def test_a_savepoint_rolled_back_does_not_cost_the_transaction_its_run(
    tenant_a, django_capture_on_commit_callbacks, dispatch_enqueues
):
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(_Undo), transaction.atomic():
            _enqueue(1)
            raise _Undo
        _enqueue(2)
    assert len(dispatch_enqueues) == 1


def test_nothing_is_enqueued_when_every_message_was_rolled_back(
    tenant_a, django_capture_on_commit_callbacks, dispatch_enqueues
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(_Undo),
        transaction.atomic(),
    ):
        _enqueue(1)
        raise _Undo
    assert callbacks == [] and dispatch_enqueues == []
    # The run that transaction never had is not owed to the next one: it gets exactly its own.
    with django_capture_on_commit_callbacks(execute=True):
        _enqueue(2)
    assert len(dispatch_enqueues) == 1
