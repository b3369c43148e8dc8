"""The audit log as an HR admin reads it: details as fields, filters, a spreadsheet-safe CSV
export that is itself audited."""

from __future__ import annotations

import csv
import datetime as dt
import io

from django.utils import timezone

from accounts.audit import details_fields
from accounts.models import AuditLog
from accounts.services import audit_log_record


def _entries(tenant_a):
    audit_log_record(
        actor=tenant_a.hr_admin,
        action="candidate.export",
        target="3 candidates",
        details={"filters": {"country": "FR", "skills_any": ["Python", "Go"]}, "count": 3},
    )
    audit_log_record(actor=tenant_a.recruiter, action="pools.pool_created", target="=HYPERLINK()")
    old = audit_log_record(actor=None, action="demo.seeded", target="candidates")
    AuditLog.objects.filter(pk=old.pk).update(at=timezone.now() - dt.timedelta(days=40))


def test_details_read_as_fields_not_a_python_dict():
    fields = details_fields(
        {
            "filters": {"country": "FR", "skills_any": ["Python", "Go"]},
            "at": "2026-11-30T17:02:18+00:00",
            "ok": True,
            "none": {},
        }
    )
    assert fields[0] == ("Filters", "Country: FR; Skills any: Python, Go")
    assert fields[1][0] == "When" and "T17:02" not in fields[1][1] and "2026" in fields[1][1]
    assert fields[2] == ("Ok", "yes") and fields[3] == ("None", "—")


def test_filters_by_action_person_and_dates(tenant_a):
    _entries(tenant_a)
    client = tenant_a.client(tenant_a.hr_admin)
    body = client.get("/accounts/settings/audit-log/?action=candidate.export").content.decode()
    assert "3 candidates" in body and "HYPERLINK" not in body
    assert "<dt>Filters</dt><dd>Country: FR; Skills any: Python, Go</dd>" in body
    assert "{&#x27;" not in body  # no raw dict
    body = client.get(f"/accounts/settings/audit-log/?actor={tenant_a.recruiter.email}").content
    assert b"HYPERLINK" in body and b"3 candidates" not in body
    since = (timezone.localdate() - dt.timedelta(days=7)).isoformat()
    body = client.get(f"/accounts/settings/audit-log/?since={since}").content.decode()
    assert "demo.seeded" not in body.split("<tbody>")[1]
    bad = client.get("/accounts/settings/audit-log/?since=2026-02-01&until=2026-01-01")
    assert (
        bad.status_code == 200 and "The end date is before the start date." in bad.content.decode()
    )
    assert 'tabindex="0" role="region" aria-label="Audit log entries"' in bad.content.decode()


def test_export_is_filtered_spreadsheet_safe_and_audited(tenant_a):
    _entries(tenant_a)
    client = tenant_a.client(tenant_a.hr_admin)
    response = client.get(
        f"/accounts/settings/audit-log/export.csv?actor={tenant_a.recruiter.email}"
    )
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["time", "who", "action"]
    assert [r[2] for r in rows[1:]] == ["pools.pool_created"]
    assert rows[1][3] == "'=HYPERLINK()"  # never a formula in a spreadsheet
    export = AuditLog.objects.get(action="accounts.audit_export")
    assert export.actor == tenant_a.hr_admin and export.details["count"] == 1
    assert (
        tenant_a.client(tenant_a.recruiter)
        .get("/accounts/settings/audit-log/export.csv")
        .status_code
        == 403
    )
