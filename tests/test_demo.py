"""`seed_demo` (run by `make run`): the demo tenant, its logins and every app's demo data; a
second run keeps everything and adds nothing."""

from __future__ import annotations

from django.apps import apps
from django.core.management import call_command
from django.test import Client
from django_tenants.utils import schema_context

from accounts.models import AuditLog, Role, User
from demo.services import DEMO_APPS, DEMO_PASSWORD, SEEDED_ACTION
from tenants.models import Tenant


def _row_counts() -> dict[str, int]:
    with schema_context("demo"):
        return {
            model._meta.label: model.objects.count()
            for model in apps.get_models()
            if model._meta.app_label in {"accounts", *DEMO_APPS}
        }


def test_seed_demo_gives_working_logins_and_a_second_run_adds_nothing(db, capsys, settings):
    # As under `make run`: development mode (pytest turns DEBUG off; plain-http links, such as
    # the demo's unsubscribe links, are accepted only in development).
    settings.DEBUG = True
    call_command("seed_demo")
    assert "Created demo tenant Demo Company" in capsys.readouterr().out
    tenant = Tenant.objects.get(schema_name="demo")
    assert tenant.get_primary_domain().domain == "demo.localhost"
    with schema_context("demo"):
        hr = User.objects.get(email="hr@demo.localhost")
        recruiter = User.objects.get(email="recruiter@demo.localhost")
        assert hr.role == Role.HR_ADMIN and recruiter.role == Role.RECRUITER
        seeded = set(AuditLog.objects.filter(action=SEEDED_ACTION).values_list("target", flat=True))
        assert "candidates" in seeded
    with schema_context("public"):
        assert User.objects.get(email="admin@localhost").is_superuser
    _assert_a_coherent_story()

    client = Client(HTTP_HOST="demo.localhost")
    response = client.post(
        "/accounts/login/", {"username": "recruiter@demo.localhost", "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302
    assert b"Dashboard" in client.get("/").content
    operator = Client(HTTP_HOST="localhost")
    response = operator.post(
        "/admin/login/?next=/admin/", {"username": "admin@localhost", "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302
    assert operator.get("/admin/tenants/tenant/").status_code == 200

    before = _row_counts()
    call_command("seed_demo")
    out = capsys.readouterr().out
    assert "Kept existing demo tenant" in out
    assert "demo data seeded: none;" in out
    grown = {label: (before[label], n) for label, n in _row_counts().items() if n != before[label]}
    assert grown == {}, f"a second seed_demo added rows (before, after): {grown}"


def _assert_a_coherent_story() -> None:
    """The demo shows the product's value: rejected people opt in through the rejection link
    (more after personal feedback, more in Italy than Germany), get nurture emails, come back."""
    from django.db.models import F
    from django.utils import timezone

    from campaigns.insights import insights
    from campaigns.models import Campaign
    from campaigns.selectors import campaign_stats
    from candidates.models import Application, Outcome
    from consent.models import ConsentEvent, Source
    from feedback.models import Branch, Rejection

    with schema_context("demo"):
        data = insights()
        funnel = dict(data.funnel)
        assert funnel["Rejected"] == Application.objects.filter(outcome=Outcome.REJECTED).count()
        assert funnel["Rejected"] > 50 and funnel["Re-applied"] >= 2 and funnel["Hired"] >= 1
        optins = ConsentEvent.objects.filter(source=Source.OPTIN_LINK)
        assert not optins.filter(text=None).exists()
        opted = set(optins.values_list("candidate_id", flat=True))

        def rate(rejections) -> float:  # type: ignore[no-untyped-def]
            people = [r.application.candidate_id for r in rejections]
            return sum(p in opted for p in people) / len(people)

        # Past rejections (decided when the application was closed), not the live ones.
        past = Rejection.objects.select_related("application").filter(
            decided_at=F("application__outcome_at")
        )
        assert not past.filter(message_id=None).exists()
        assert 0.55 <= rate(past.filter(branch=Branch.PERSONALISED)) <= 0.75
        assert 0.25 <= rate(past.filter(branch=Branch.AUTOMATIC)) <= 0.45
        first_rejected: dict[int, object] = {}
        for rejection in past.order_by("-decided_at"):
            first_rejected[rejection.application.candidate_id] = rejection.decided_at
        for optin in optins.order_by("candidate_id", "at").distinct("candidate_id"):
            assert first_rejected[optin.candidate_id] <= optin.at <= timezone.now()
        by_country = {c: opted_n / total for c, total, opted_n, _s in data.optin_by_country}
        assert by_country["IT"] > by_country["DE"]
        assert dict((a, t) for a, t, _o in data.optin_by_age)["18–24"] > 0
        again = Application.objects.filter(source="job offer email")
        assert again.count() >= 2 and again.filter(outcome=Outcome.HIRED).count() == 1
        stats = campaign_stats(Campaign.objects.get(name="Open day invitation"))
        assert stats.sent > 0 and stats.delivered > 0 and stats.opened > 0
