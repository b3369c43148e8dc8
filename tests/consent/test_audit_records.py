"""Records an auditor asks for: the records of processing (Art. 30) derived from the registry and
the settings, the consent report per purpose, topic and source over a period, and the proof of
one person's consent, as CSV and PDF."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from django.utils import timezone
from pypdf import PdfReader

from accounts.models import AuditLog
from consent import links
from consent.erasure import candidate_erase
from consent.models import Source
from consent.services import consent_grant, policy_update
from tenants.i18n import tenant_zone
from tests.consent.conftest import path_of, person


def _csv(response) -> list[list[str]]:  # type: ignore[no-untyped-def]
    text = b"".join(response.streaming_content).decode().lstrip("\ufeff")
    return list(csv.reader(io.StringIO(text)))


def _pdf_text(data: bytes) -> str:
    return " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(data)).pages)


def _opt_in(client, candidate, *ticked: str, ip: str = "192.0.2.10") -> None:  # type: ignore[no-untyped-def]
    url = path_of(links.optin_url(candidate, source="rejection"))
    texts = client.get(url).context["form"].texts
    data = {f"text_{p}": t.pk for p, t in texts.items()}
    data.update(dict.fromkeys(ticked, "on"))
    client.post(url, data, REMOTE_ADDR=ip, HTTP_USER_AGENT="AuditBrowser/2")


def test_records_of_processing_follow_the_registry_and_the_settings(tenant_a, settings):
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    admin = tenant_a.client(tenant_a.hr_admin)
    policy_update(actor=tenant_a.hr_admin, retention_months=7)
    page = admin.get("/c/admin/records/").content.decode()
    for expected in (
        "Handling applications",
        "Keeping the profile in the talent pool",
        "Measuring opens and clicks of emails",
        "Importing candidates from files",
        "7 months after the last application",  # the policy, not a fixed text
        "Recruiters&#x27; notes and assessments",  # a data category from the declarations
        "None: emails are kept in memory",  # the email provider from EMAIL_BACKEND
        "A SHA-256 hash of the address",  # kept after erasure, with why
        "Not declared yet",  # transfers must be declared by the operator
    ):
        assert expected in page, expected
    settings.PRIVACY_TRANSFERS = "Postmark: United States, EU-US Data Privacy Framework"
    settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
    page = admin.get("/c/admin/records/").content.decode()
    assert "EU-US Data Privacy Framework" in page and "Postmark (ActiveCampaign)" in page
    pdf = admin.get("/c/admin/records/?format=pdf")
    assert "Records of processing" in _pdf_text(pdf.content)
    assert tenant_a.client(tenant_a.recruiter).get("/c/admin/records/").status_code == 403


def test_consent_report_counts_per_purpose_and_source_over_a_period(tenant_a):
    client = tenant_a.client()
    ada, bob, eve = person(), person(), person()
    _opt_in(client, ada, "talent_pool", "events")
    _opt_in(client, bob, "events")
    _opt_in(client, eve)  # nothing ticked
    consent_grant(
        candidate=eve, purpose="events", source=Source.RECRUITER, reason="Asked on the phone"
    )
    admin = tenant_a.client(tenant_a.hr_admin)
    # The report's days are the company's days: near midnight UTC they differ from the server's.
    today = timezone.localdate(timezone=tenant_zone(tenant_a.tenant))
    query = f"?start={today - timedelta(days=1)}&end={today}"
    page = admin.get(f"/c/admin/report/{query}").content.decode()
    assert "3 consent forms sent, 1 with nothing ticked" in page
    rows = _csv(admin.get(f"/c/admin/report/{query}&format=csv"))
    assert rows[0] == [
        "period_start",
        "period_end",
        "purpose",
        "source",
        "granted",
        "withdrawn",
        "expired",
    ]
    by_key = {(r[2], r[3]): r[4:] for r in rows[1:]}
    assert by_key[("Event invitations", "Opt-in link (rejection email)")] == ["2", "0", "0"]
    assert by_key[("Event invitations", "Recorded by a recruiter")] == ["1", "0", "0"]
    assert by_key[("Keep my profile in the talent pool", "Opt-in link (rejection email)")] == [
        "1",
        "0",
        "0",
    ]
    pdf = _pdf_text(admin.get(f"/c/admin/report/{query}&format=pdf").content)
    assert "Consent report" in pdf and "Event invitations" in pdf
    # An earlier period holds none of it.
    old = admin.get(
        f"/c/admin/report/?start={today - timedelta(days=90)}&end={today - timedelta(days=60)}"
    )
    assert "No consent recorded in this period." in old.content.decode()
    assert AuditLog.objects.filter(action="consent.report_exported").count() == 2


def test_a_bad_period_gets_a_clear_answer(tenant_a):
    admin = tenant_a.client(tenant_a.hr_admin)
    backwards = admin.get("/c/admin/report/?start=2026-05-01&end=2026-04-01")
    assert backwards.status_code == 400
    assert b"The period must start before it ends." in backwards.content
    garbage = admin.get("/c/admin/report/?start=yesterday&end=2026-04-01&format=csv")
    assert garbage.status_code == 400 and b"Enter a valid date." in garbage.content
    assert tenant_a.client(tenant_a.recruiter).get("/c/admin/report/").status_code == 403


def test_proof_of_one_persons_consent_says_what_when_how_and_from_where(tenant_a):
    ada = person()
    _opt_in(tenant_a.client(), ada, "talent_pool", "job_offers", ip="192.0.2.77")
    admin = tenant_a.client(tenant_a.hr_admin)
    rows = _csv(admin.get(f"/c/candidate/{ada.pk}/proof.csv"))
    header, *entries = rows
    assert header[:4] == ["when", "purpose", "change", "how"]
    pool = next(r for r in entries if r[1] == "Keep my profile in the talent pool")
    record = dict(zip(header, pool, strict=True))
    assert record["change"] == "Granted"
    assert record["how"] == "Opt-in link (rejection email)"
    assert "(en v1)" in record["wording shown"]
    assert "events (en v1)" in record["form offered"] and "tracking" in record["form offered"]
    assert record["ticked"] == "job_offers, talent_pool"
    assert record["ip address"] == "192.0.2.77" and record["browser"] == "AuditBrowser/2"
    pdf = _pdf_text(admin.get(f"/c/candidate/{ada.pk}/proof.pdf").content)
    assert "Proof of consent" in pdf and "192.0.2.77" in pdf
    assert AuditLog.objects.filter(action="consent.proof_exported").count() == 2
    # After erasure the proof remains, without where it came from.
    candidate_erase(candidate=ada, actor=tenant_a.hr_admin)
    erased = _csv(admin.get(f"/c/candidate/{ada.pk}/proof.csv"))
    assert all(r[7] == "" and r[8] == "" for r in erased[1:])
    assert (
        tenant_a.client(tenant_a.recruiter).get(f"/c/candidate/{ada.pk}/proof.csv").status_code
        == 403
    )
