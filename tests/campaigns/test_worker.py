from __future__ import annotations

import pytest
from django.db import connection

from campaigns.models import Delivery, DeliveryStatus, TopicSchedule
from campaigns.tasks import nurture_dispatch_task
from mailing.models import Message
from tests.campaigns.helpers import make_candidate, open_position
from tests.worker import wait_until


@pytest.mark.worker
def test_the_beat_dispatcher_plans_and_queues_nurture_in_each_tenant(
    committed_tenant, celery_worker
):
    committed_tenant.activate()
    # Whatever the wall clock says, this tenant's window is open.
    TopicSchedule.objects.filter(topic="job_offers").update(
        send_weekdays=list(range(7)), send_hour_start=0, send_hour_end=24
    )
    candidate = make_candidate("go@example.com", skills=["Go"], topics={"job_offers": "weekly"})
    open_position("Go developer", skills=["Go"])
    connection.set_schema_to_public()
    nurture_dispatch_task.delay()
    committed_tenant.activate()
    assert wait_until(lambda: Message.objects.filter(candidate=candidate).exists(), timeout=60)
    assert wait_until(
        lambda: Delivery.objects.filter(candidate=candidate, status=DeliveryStatus.QUEUED).exists()
    )
    runs = celery_worker.log().count("nurture_tenant_task")
    connection.set_schema_to_public()
    nurture_dispatch_task.delay()  # a second run changes nothing
    committed_tenant.activate()
    assert wait_until(lambda: celery_worker.log().count("nurture_tenant_task") > runs)
    assert Message.objects.filter(candidate=candidate).count() == 1
