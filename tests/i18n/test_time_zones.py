"""Every time in the company's zone, never another company's: per request (the middleware, which
always deactivates), in tasks, emails and PDFs; the candidate's own zone for send windows and
"next morning"."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone

from campaigns.sending import nurture_run
from candidates.i18n import candidate_zone, country_zone
from config.celery import app as celery_app
from feedback.content import CallNote
from feedback.pdf import feedback_pdf_html, feedback_pdf_render
from feedback.selectors import rejection_content
from feedback.services import application_reject, applications_reject_bulk
from mailing.models import Message
from tenants.i18n import format_zoned, tenant_zone, zone_abbreviation
from tenants.middleware import TenantLocaleMiddleware
from tests.campaigns.helpers import make_candidate, open_position
from tests.feedback.helpers import application_at, reasons
from tests.i18n.artefacts import pdf_text

TOKYO, NEW_YORK = "Asia/Tokyo", "America/New_York"


def _zone(world, name: str) -> None:  # type: ignore[no-untyped-def]
    world.activate()
    world.tenant.time_zone = name
    world.tenant.save(update_fields=["time_zone"])


def test_requests_alternating_on_one_thread_each_see_their_own_zone(tenant_a, tenant_b):
    """The test client runs every request in this thread: a zone left active by one request
    would show in the next. Campaign pages used to activate the zone and never deactivate it."""
    _zone(tenant_a, TOKYO)
    _zone(tenant_b, NEW_YORK)
    decided = dt.datetime(2026, 1, 15, 12, 0, tzinfo=dt.UTC)  # 21:00 JST, 07:00 EST
    pages = {}
    for world in (tenant_a, tenant_b):
        world.activate()
        application = application_at("applied")
        with time_machine.travel(decided, tick=False):
            application_reject(application=application, actor=world.recruiter, reasons=[])
        pages[world.host] = reverse("feedback:application", args=[application.pk])
    clients = {w.host: w.client(w.recruiter) for w in (tenant_a, tenant_b)}
    expected = {
        tenant_a.host: "15 January 2026, 21:00 JST",
        tenant_b.host: "15 January 2026, 07:00 EST",
    }
    connection.set_schema_to_public()
    for _round in range(3):
        for host in (tenant_a.host, tenant_b.host):
            # A page of the app that leaked its zone, then the page that shows a time.
            assert clients[host].get(reverse("campaigns:home")).status_code == 200
            assert timezone.get_current_timezone_name() == "UTC"
            page = clients[host].get(pages[host]).content.decode()
            assert expected[host] in page, host
            other = next(h for h in expected if h != host)
            assert expected[other] not in page
            assert timezone.get_current_timezone_name() == "UTC"


def test_the_zone_is_deactivated_even_when_the_view_fails(tenant_a):
    _zone(tenant_a, TOKYO)
    request = HttpRequest()
    request.tenant = tenant_a.tenant
    seen = []

    def failing_view(request: HttpRequest) -> HttpResponse:
        seen.append(timezone.get_current_timezone_name())
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        TenantLocaleMiddleware(failing_view)(request)
    assert seen == [TOKYO]
    assert timezone.get_current_timezone_name() == "UTC"


@celery_app.task(name="tests.i18n.zone_probe")
def zone_probe() -> str:
    return timezone.get_current_timezone_name()


def test_tasks_run_in_their_tenants_zone_and_leave_none_behind(tenant_a, tenant_b):
    _zone(tenant_a, TOKYO)
    _zone(tenant_b, NEW_YORK)
    tenant_a.activate()
    assert zone_probe.apply().get() == TOKYO
    tenant_b.activate()
    assert zone_probe.apply().get() == NEW_YORK
    assert timezone.get_current_timezone_name() == "UTC"


def test_feedback_pdf_dates_the_call_on_the_companys_day(tenant_a):
    """A call at 00:30 in Paris on 11 March is 23:30 UTC on the 10th: the PDF said the 10th."""
    _zone(tenant_a, "Europe/Paris")
    application = application_at("final-interview", language="fr")
    call = CallNote(
        dt.datetime(2026, 3, 10, 23, 30, tzinfo=dt.UTC), 25, "internal", candidate_summary="Merci"
    )
    with time_machine.travel(dt.datetime(2026, 3, 10, 23, 45, tzinfo=dt.UTC), tick=False):
        rejection = application_reject(
            application=application,
            actor=tenant_a.recruiter,
            reasons=reasons("skills-gap"),
            personal_points="Points",
            call=call,
        )
        content = rejection_content(rejection)
        page = feedback_pdf_html(content)
        text = pdf_text(feedback_pdf_render(content))
    assert "Notre échange (11 mars 2026, 25 minutes)" in page
    assert "10 mars" not in page
    assert "Date : 11 mars 2026" in page.replace("Date: ", "Date : ")
    assert "11 mars 2026" in text
    assert timezone.get_current_timezone_name() == "UTC"


def test_times_in_emails_name_their_zone(tenant_a):
    _zone(tenant_a, "Europe/Paris")
    winter = dt.datetime(2026, 1, 15, 17, 2, tzinfo=dt.UTC)
    summer = dt.datetime(2026, 7, 15, 16, 2, tzinfo=dt.UTC)
    with timezone.override(tenant_zone()):
        assert format_zoned(winter) == "15 January 2026, 18:02 CET"
        assert format_zoned(summer) == "15 July 2026, 18:02 CEST"
    assert zone_abbreviation(winter, ZoneInfo("Asia/Dubai")) == "UTC+04"
    assert zone_abbreviation(winter, ZoneInfo("Asia/Kolkata")) == "IST"


def test_a_candidates_zone_comes_from_a_single_zone_country_else_the_companys(tenant_a):
    _zone(tenant_a, "Europe/Paris")
    assert country_zone("it") == ZoneInfo("Europe/Rome")
    assert country_zone("JP") == ZoneInfo("Asia/Tokyo")
    # Spain (Canaries), Portugal (Azores), the US: several zones, so no guess.
    assert country_zone("ES") is None and country_zone("US") is None and country_zone("") is None
    tokyo = make_candidate("tokyo@example.com", country="JP")
    canaries = make_candidate("canarias@example.com", country="ES")
    assert candidate_zone(tokyo) == ZoneInfo("Asia/Tokyo")
    assert candidate_zone(canaries) == ZoneInfo("Europe/Paris")


def test_next_morning_is_nine_where_each_candidate_is(tenant_a):
    _zone(tenant_a, "Europe/Paris")
    tokyo = application_at("applied")
    tokyo.candidate.country = "JP"
    tokyo.candidate.save(update_fields=["country"])
    paris = application_at("applied")
    # Tuesday 10 March 2026, 21:30 in Paris, 05:30 on Wednesday in Tokyo.
    with time_machine.travel(dt.datetime(2026, 3, 10, 20, 30, tzinfo=dt.UTC), tick=False):
        result = applications_reject_bulk(
            application_ids=[tokyo.pk, paris.pk], actor=tenant_a.recruiter, next_morning=True
        )
    send_at = {r.application_id: r.send_at for r in result.rejected}
    assert send_at[tokyo.pk] == dt.datetime(2026, 3, 11, 9, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
    assert send_at[paris.pk] == dt.datetime(2026, 3, 11, 9, 0, tzinfo=ZoneInfo("Europe/Paris"))
    assert Message.objects.get(candidate=tokyo.candidate).send_after == send_at[tokyo.pk]


def test_send_windows_open_on_each_candidates_wall_clock(tenant_a, settings):
    """09:30 in Paris is 08:30 in London: the 9-17 window is open for the French reader, not
    yet for the British one; an hour later for both. Without a known zone: the company's."""
    settings.SITE_SCHEME = "https"
    settings.MAILING_RATE_PER_TENANT = settings.MAILING_RATE_GLOBAL = 0
    _zone(tenant_a, "Europe/Paris")
    jobs = {"job_offers": "weekly"}
    monday = ZoneInfo("Europe/Paris")
    with time_machine.travel(dt.datetime(2026, 2, 2, 9, 30, tzinfo=monday), tick=False):
        french = make_candidate("fr@example.com", skills=["SQL"], topics=jobs, country="FR")
        british = make_candidate("gb@example.com", skills=["SQL"], topics=jobs, country="GB")
        unknown = make_candidate("xx@example.com", skills=["SQL"], topics=jobs)
        open_position("SQL analyst", skills=["SQL"])
        nurture_run()
    assert {m.candidate_id for m in Message.objects.all()} == {french.pk, unknown.pk}
    with time_machine.travel(dt.datetime(2026, 2, 2, 10, 30, tzinfo=monday), tick=False):
        nurture_run()
    assert Message.objects.filter(candidate=british).count() == 1
