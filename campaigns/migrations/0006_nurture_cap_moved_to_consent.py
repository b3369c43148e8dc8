"""The planner's own cap (`NurtureSettings.cap_days`) goes: the one nurture cap is consent's
`ConsentPolicy.nurture_cap_days` (issue #15). Both are "at most one nurture email every N
days" by now (consent 0004 converted the weekly cap), so the stricter is the larger N."""

from __future__ import annotations

from django.db import migrations


def forwards(apps, schema_editor):
    NurtureSettings = apps.get_model("campaigns", "NurtureSettings")
    ConsentPolicy = apps.get_model("consent", "ConsentPolicy")
    rules = NurtureSettings.objects.filter(pk=1).first()
    if rules is None:
        return  # never saved: the planner used the default, the same as the policy's
    policy = ConsentPolicy.objects.order_by("pk").first() or ConsentPolicy.objects.create()
    if rules.cap_days > policy.nurture_cap_days:
        policy.nurture_cap_days = rules.cap_days
        policy.save(update_fields=["nurture_cap_days"])


def backwards(apps, schema_editor):
    NurtureSettings = apps.get_model("campaigns", "NurtureSettings")
    ConsentPolicy = apps.get_model("consent", "ConsentPolicy")
    policy = ConsentPolicy.objects.order_by("pk").first()
    if policy is not None:
        NurtureSettings.objects.filter(pk=1).update(cap_days=policy.nurture_cap_days)


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0005_content_languages"),
        ("consent", "0004_nurture_cap_one_setting"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards),
        migrations.RemoveField(model_name="nurturesettings", name="cap_days"),
    ]
