"""The REST API answers in English whatever the company's language or the client's
Accept-Language: programs match on a problem's `type` and `errors[].pointer`, and `title` and
`detail` read like the API's (English) documentation. A refusal a service words through gettext
(a French company's default language is active for a keyless request) is English here too."""

from __future__ import annotations

from django.utils import translation

from candidates.models import Activity, ActivityKind, Application
from tests.candidates.factories import application, candidate
from tests.integrations.conftest import Api

PROBLEM_TYPES = "https://talentcrm.example/problems/"


def _french_company(world) -> None:  # type: ignore[no-untyped-def]
    world.activate()
    world.tenant.default_language = "fr"
    world.tenant.save(update_fields=["default_language"])


def test_problems_are_english_with_stable_types_for_a_french_company(tenant_a):
    _french_company(tenant_a)
    api = Api(tenant_a)
    app = application(candidate(first_name="Zoé"))
    Application.objects.filter(pk=app.pk).update(outcome="hired")
    response = api.post(
        f"/applications/{app.pk}/reject",
        {"reasons": ["skills-gap"]},
        headers={"Accept-Language": "fr"},
    )
    body = response.json()
    assert response.status_code == 409 and response["Content-Language"] == "en"
    assert body["type"] == PROBLEM_TYPES + "refused" and body["title"] == "Conflict"
    assert body["detail"].endswith("is already hired.")  # not "embauché"

    invalid = api.post(
        "/candidates",
        {"email": "x@example.com", "colour": "red"},
        headers={"Accept-Language": "de"},
    )
    body = invalid.json()
    assert invalid.status_code == 422 and invalid["Content-Language"] == "en"
    assert body["type"] == PROBLEM_TYPES + "invalid-input"
    assert body["errors"][0]["pointer"] == "/colour"
    assert body["errors"][0]["detail"] == "Unknown field: not part of this resource."


def test_what_the_api_writes_to_the_timeline_reads_in_each_staff_language(tenant_a):
    _french_company(tenant_a)
    api = Api(tenant_a)
    app = application(candidate(first_name="Zoé"))
    assert api.post(f"/applications/{app.pk}/reject", {"reasons": []}).status_code == 200
    entry = Activity.objects.get(candidate=app.candidate, kind=ActivityKind.OUTCOME)
    assert entry.code == "feedback.rejected" and entry.params["outcome"] == "rejected"
    with translation.override("fr"):
        assert "Refusé" in entry.text
    with translation.override("en"):
        assert "Rejected" in entry.text
