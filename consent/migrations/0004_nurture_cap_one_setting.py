"""The nurture cap becomes one setting (issue #15): `ConsentPolicy.nurture_cap_days`, "at most
one nurture email per candidate every this many days", enforced by the send gate and used by
the campaigns planner to pre-filter. It replaces the gate's `weekly_cap` ("at most N in any 7
days") here and the planner's `NurtureSettings.cap_days` (campaigns 0006, which keeps the
stricter of the two).

A weekly cap of N becomes a gap of ceil(7 / N) days: never more than N in any 7 days, the
fewest days that promise it (3 a week → 3 days, the default of both). A cap of 0 (no nurture
mail at all) becomes the longest gap there is (60 days)."""

from __future__ import annotations

import math

import django.core.validators
from django.db import migrations, models

LONGEST = 60


def weekly_cap_to_days(weekly_cap: int) -> int:
    if weekly_cap <= 0:
        return LONGEST
    return min(LONGEST, max(1, math.ceil(7 / weekly_cap)))


def forwards(apps, schema_editor):
    ConsentPolicy = apps.get_model("consent", "ConsentPolicy")
    for policy in ConsentPolicy.objects.all():
        policy.nurture_cap_days = weekly_cap_to_days(policy.weekly_cap)
        policy.save(update_fields=["nurture_cap_days"])


def backwards(apps, schema_editor):
    ConsentPolicy = apps.get_model("consent", "ConsentPolicy")
    for policy in ConsentPolicy.objects.all():
        policy.weekly_cap = max(1, 7 // policy.nurture_cap_days)
        policy.save(update_fields=["weekly_cap"])


class Migration(migrations.Migration):
    dependencies = [
        ("consent", "0003_language_on_candidate"),
    ]

    operations = [
        migrations.AddField(
            model_name="consentpolicy",
            name="nurture_cap_days",
            field=models.PositiveSmallIntegerField(
                default=3,
                help_text="At most one nurture email per candidate every this many days.",
                validators=[
                    django.core.validators.MinValueValidator(1),
                    django.core.validators.MaxValueValidator(60),
                ],
            ),
        ),
        migrations.RunPython(forwards, backwards),
        migrations.RemoveField(model_name="consentpolicy", name="weekly_cap"),
    ]
