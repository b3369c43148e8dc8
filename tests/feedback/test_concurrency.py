"""Two recruiters (or a double click) rejecting the same application at the same moment: one
wins, the other gets a clear refusal, and exactly one email is queued.

Runs on `committed_tenant` (real commits, no test transaction) so the two threads really race.
"""

from __future__ import annotations

import threading

from django.db import connection

from candidates.models import Application, Candidate, Position, Stage
from feedback.services import FeedbackError, application_reject
from mailing.models import Message


def test_concurrent_rejections_queue_one_email(committed_tenant):
    tenant = committed_tenant.tenant
    candidate = Candidate.objects.create(first_name="Sam", email="sam@example.com")
    stage = Stage.objects.get(slug="applied")
    application = Application.objects.create(
        candidate=candidate,
        position=Position.objects.create(title="Analyst"),
        stage=stage,
        furthest_stage=stage,
    )
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def reject() -> None:
        connection.set_tenant(tenant)
        try:
            barrier.wait()
            application_reject(application=application, actor=None, reasons=[])
            outcomes.append("rejected")
        except FeedbackError as exc:
            outcomes.append(str(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=reject) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes)[1] == "rejected"
    assert "already rejected" in sorted(outcomes)[0]
    connection.set_tenant(tenant)
    assert Message.objects.filter(send_key__startswith=f"rejection:{application.pk}").count() == 1
