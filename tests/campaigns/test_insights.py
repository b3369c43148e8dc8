from __future__ import annotations

import io

from pypdf import PdfReader

from campaigns.insights import insights
from candidates.pipeline import application_create, application_outcome_set
from consent.models import Source
from consent.services import Shown, consent_change, consent_grant
from feedback.models import RejectionReason
from feedback.services import application_reject
from tests.campaigns.helpers import make_candidate, open_position


def _rejected(email: str, position, **fields):  # type: ignore[no-untyped-def]
    candidate = make_candidate(email, **fields)
    application, _ = application_create(candidate=candidate, position=position, actor=None)
    application_reject(
        application=application, actor=None, reasons=[RejectionReason.objects.first()]
    )
    return candidate


def _ticked(candidate, grant: dict[str, str | None]) -> None:  # type: ignore[no-untyped-def]
    """What the opt-in page records when the person ticks these boxes."""
    offered = ["talent_pool", "job_offers", "events", "tracking"]
    consent_change(
        candidate=candidate,
        source=Source.OPTIN_LINK,
        grant=grant,
        shown=Shown(offered=dict.fromkeys(offered), ticked=frozenset(grant)),
    )


def _world(tenant):  # type: ignore[no-untyped-def]
    position = open_position("Analyst", skills=["SQL"])
    young = _rejected("young@example.com", position, country="FR", age_bracket="18_24")
    italian = _rejected("it@example.com", position, country="IT", age_bracket="25_34")
    _rejected("de@example.com", position, country="DE", age_bracket="35_44")
    _ticked(young, {"talent_pool": None})
    _ticked(italian, {"talent_pool": None, "job_offers": "weekly"})
    later = open_position("Senior analyst", skills=["SQL"])
    again, _ = application_create(
        candidate=italian, position=later, actor=None, source="talent pool"
    )
    application_outcome_set(application=again, outcome="hired", actor=None)


def test_funnel_and_opt_in_breakdowns(tenant_a):
    _world(tenant_a)
    data = insights()
    assert dict(data.funnel) == {
        "Rejected": 3,
        "Personalised feedback": 0,
        "Opted in": 2,
        "Engaged": 0,
        "Re-applied": 1,
        "Hired": 1,
    }
    assert data.optin_rate == 67
    by_country = {c: (total, opted, survey) for c, total, opted, survey in data.optin_by_country}
    assert by_country == {"FR": (1, 1, 67), "IT": (1, 1, 75), "DE": (1, 0, 60)}
    assert ("18–24", 1, 1) in data.optin_by_age
    assert data.optin_fr_young == (1, 1)
    assert data.by_stage[0][1][0] == 3
    assert data.by_reason and data.by_reason[0][1][0] == 3
    by_topic = dict(data.by_topic_funnel)
    assert by_topic["Job offers"] == [3, 0, 1, 0, 1, 1]
    assert by_topic["Event invitations"][2:] == [0, 0, 0, 0]


def test_insights_page_and_pdf_report(tenant_a):
    _world(tenant_a)
    client = tenant_a.client(tenant_a.recruiter)
    page = client.get("/campaigns/insights/").content.decode()
    assert "<strong>67%</strong> led to an opt-in" in page
    assert "<title>Survey: 75%</title>" in page  # Italy's reference marker
    assert "<title>Survey: 82%</title>" in page  # French 18-24 year-olds
    assert page.count('<svg xmlns="http://www.w3.org/2000/svg" class="chart"') >= 4
    response = client.get("/campaigns/insights/report.pdf")
    assert response["Content-Type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert "Talent insights" in text and "Opt-in rate" in text


def test_rejected_applications_count_without_a_feedback_row(tenant_a):
    """A rejection set on the candidate page (no feedback `Rejection`) still counts, as an
    automatic one; the opt-in that followed it counts too."""
    _world(tenant_a)
    position = open_position("Designer", skills=["Figma"])
    plain = make_candidate("plain@example.com", country="IT", age_bracket="25_34")
    application, _ = application_create(candidate=plain, position=position, actor=None)
    application_outcome_set(application=application, outcome="rejected", actor=None)
    _ticked(plain, {"talent_pool": None})
    active = make_candidate("active@example.com", country="IT")
    application_create(candidate=active, position=position, actor=None)
    data = insights()
    funnel = dict(data.funnel)
    assert funnel["Rejected"] == 4
    assert funnel["Personalised feedback"] == 0
    assert funnel["Opted in"] == 3
    by_country = {c: (total, opted) for c, total, opted, _survey in data.optin_by_country}
    assert by_country["IT"] == (2, 2)


def test_only_consent_the_person_ticked_counts_as_an_opt_in(tenant_a):
    """Boxes ticked in advance (a grant without the form it came from), tracking alone and a
    form sent with nothing ticked are not opt-ins; a recruiter's record of consent is."""
    position = open_position("Analyst", skills=["SQL"])
    pre_ticked = _rejected("legacy@example.com", position, country="FR")
    consent_grant(candidate=pre_ticked, purpose="events", source=Source.OPTIN_LINK)
    tracking_only = _rejected("tracking@example.com", position, country="FR")
    _ticked(tracking_only, {"tracking": None})
    nothing = _rejected("nothing@example.com", position, country="FR")
    _ticked(nothing, {})
    by_phone = _rejected("phone@example.com", position, country="FR")
    consent_grant(
        candidate=by_phone,
        purpose="talent_pool",
        source=Source.RECRUITER,
        reason="Said yes on the phone on 3 March",
    )
    ticked = _rejected("ticked@example.com", position, country="FR")
    _ticked(ticked, {"events": None})
    data = insights()
    assert dict(data.funnel)["Opted in"] == 2
    assert data.optin_rate == 40
    assert dict(data.by_topic_funnel)["Event invitations"][2] == 1
