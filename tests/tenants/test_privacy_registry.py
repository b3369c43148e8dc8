"""The personal-data registry is complete: a field that can hold personal data cannot be added
without saying whether it does and how it is erased.

What it catches — add a field to a model without declaring it:

    class Candidate(models.Model):
        ...
        nickname = models.CharField(max_length=60, blank=True)

and `test_every_field_that_can_hold_personal_data_is_declared` fails with

    candidates.Candidate.nickname: declared neither personal nor not personal

until `candidates/privacy.py` lists it, either in `personal` (with how it is erased, e.g.
`"nickname": Personal(Category.IDENTITY)` to blank it) or in `not_personal`. The same goes for
a new model (every field is reported), a declaration naming a field that no longer exists, a
model pointing at a candidate that does not say how its rows reach the person (erasure and the
access export would miss them), and data kept after erasure without a reason.
`test_the_check_reports_an_undeclared_field` below runs exactly this example.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from django.apps import apps
from django.db import models
from django.test.utils import isolate_apps

from tenants import privacy
from tenants.privacy import Dataset, Erase, Personal, Subject, registry_problems


def test_every_field_that_can_hold_personal_data_is_declared():
    """Ours and third-party models alike (taggit, django-otp, sessions, auth, admin...)."""
    problems = registry_problems(apps.get_models(include_auto_created=True))
    assert problems == [], "\n".join(problems)


def test_every_installed_model_with_such_fields_is_covered():
    declared = {d.model for d in privacy.datasets()}
    needing = {
        m._meta.label
        for m in apps.get_models(include_auto_created=True)
        if privacy.fields_to_declare(m)
    }
    assert needing - declared == set()
    # Third-party tables in tenant schemas are declared by the app that uses them.
    owner = {d.model: app.app_label for app in privacy.registered() for d in app.datasets}
    assert owner["taggit.Tag"] == "candidates"
    assert owner["sessions.Session"] == owner["otp_totp.TOTPDevice"] == "accounts"
    assert owner["auth.Permission"] == "tenants"


def test_apps_holding_candidate_rows_register_an_eraser():
    for app in privacy.registered():
        holds = any(d.person and d.personal_for(Subject.CANDIDATE) for d in app.datasets)
        assert not holds or app.erase is not None, app.app_label


@isolate_apps("candidates")
def test_the_check_reports_an_undeclared_field():
    class Candidate(models.Model):  # noqa: DJ008 (the docstring's example, isolated)
        first_name = models.CharField(max_length=100)
        nickname = models.CharField(max_length=60, blank=True)

        class Meta:
            app_label = "candidates"

    problems = registry_problems([Candidate])
    assert "candidates.Candidate.nickname: declared neither personal nor not personal" in problems
    # The real declaration lists fields this stand-in lacks: reported as stale, too.
    assert "candidates.Candidate.email: declared but the model has no such field" in problems


def test_the_check_reports_a_new_model_and_missing_person_lookup(monkeypatch):
    from candidates import privacy as candidates_privacy

    application = next(
        d for d in candidates_privacy.DATASETS if d.model == "candidates.Application"
    )
    broken = replace(application, person="")
    kept = replace(
        candidates_privacy.PRIVACY,
        datasets=[broken if d is application else d for d in candidates_privacy.DATASETS],
    )
    monkeypatch.setitem(privacy._registry, "candidates", kept)
    problems = registry_problems(apps.get_models())
    assert "candidates.Application: points at a candidate but declares no `person` lookup" in (
        problems
    )


def test_retained_data_must_say_why(monkeypatch):
    dataset = Dataset(
        model="mailing.Suppression",
        description="x",
        personal={"email_hash": Personal(privacy.Category.CONTACT, Erase.RETAIN)},
        not_personal=("reason", "source"),
    )
    from mailing import privacy as mailing_privacy

    monkeypatch.setitem(
        privacy._registry,
        "mailing",
        replace(
            mailing_privacy.PRIVACY,
            datasets=[
                dataset if d.model == "mailing.Suppression" else d for d in mailing_privacy.DATASETS
            ],
        ),
    )
    problems = registry_problems(apps.get_models())
    assert "mailing.Suppression.email_hash: kept after erasure without saying why" in problems


def test_a_model_is_declared_by_one_app_only():
    with pytest.raises(ValueError, match="declared by both"):
        privacy.register(
            privacy.AppPrivacy(
                app_label="pools",
                datasets=[Dataset(model="taggit.Tag", description="x")],
            )
        )
