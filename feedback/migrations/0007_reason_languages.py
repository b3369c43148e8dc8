"""Rejection reasons' wording per language. Existing wording is kept as the company's default
language; a default reason still in its built-in English is marked English and gets the
built-in French, German and Italian (feedback.defaults, imported on purpose: the same texts a
new tenant gets)."""

from django.db import migrations, models


def tenant_default_language(apps, schema_editor):
    Tenant = apps.get_model("tenants", "Tenant")
    schema = schema_editor.connection.schema_name
    return (
        Tenant.objects.filter(schema_name=schema).values_list("default_language", flat=True).first()
        or "en"
    )


def forwards(apps, schema_editor):
    from feedback.defaults import DEFAULT_REASONS, reason_builtin_translations

    RejectionReason = apps.get_model("feedback", "RejectionReason")
    english = {key: (wording, tip) for key, _c, _l, wording, tip in DEFAULT_REASONS}
    default_language = tenant_default_language(apps, schema_editor)
    for reason in RejectionReason.objects.all():
        if english.get(reason.key) == (reason.candidate_wording, reason.tip):
            reason.language = "en"
            reason.translations = reason_builtin_translations(reason.key)
        else:
            reason.language = default_language
        reason.save(update_fields=["language", "translations"])


class Migration(migrations.Migration):
    dependencies = [
        ("feedback", "0006_feedback_task"),
        ("tenants", "0004_privacy"),
    ]

    operations = [
        migrations.AddField(
            model_name="rejectionreason",
            name="language",
            field=models.CharField(
                choices=[
                    ("en", "English"),
                    ("fr", "Français"),
                    ("de", "Deutsch"),
                    ("it", "Italiano"),
                ],
                default="en",
                help_text="The language of the wording and tip above.",
                max_length=8,
            ),
        ),
        migrations.AddField(
            model_name="rejectionreason",
            name="translations",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop, elidable=True),
        migrations.AddField(
            model_name="bulkrejectrun",
            name="next_morning",
            field=models.BooleanField(default=False),
        ),
    ]
