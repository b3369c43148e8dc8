"""The language a person chose in the preference centre moves to `Candidate.preferred_language`,
which every email, page and PDF reads (candidates.i18n): one place, not two that could differ.
Where both were set the person's own choice (the profile's) wins."""

from __future__ import annotations

from django.db import migrations
from django.db.models import OuterRef, Subquery


def forwards(apps, schema_editor):
    Candidate = apps.get_model("candidates", "Candidate")
    ConsentProfile = apps.get_model("consent", "ConsentProfile")
    with_choice = ConsentProfile.objects.exclude(language="")
    chosen = with_choice.filter(candidate=OuterRef("pk")).values("language")[:1]
    Candidate.objects.filter(pk__in=with_choice.values("candidate_id")).update(
        preferred_language=Subquery(chosen)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("consent", "0002_privacy"),
        ("candidates", "0006_import_dry_run_single_line"),
    ]

    operations = [
        migrations.RunPython(forwards, migrations.RunPython.noop, elidable=True),
        migrations.RemoveField(model_name="consentprofile", name="language"),
    ]
