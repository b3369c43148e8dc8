"""Content items per language: existing text is kept as the company's default language. Digest
templates that hold the built-in English text under another language (tenants made before the
built-in texts were translated got English text labelled with their default language) are
labelled English again, so that language's readers get the built-in translation instead."""

from django.db import migrations, models

# The English built-in digest subjects as they were seeded, frozen here.
_SEEDED_SUBJECTS = {
    "{{ first_name }}, new jobs that match your skills",
    "{{ first_name }}, you are invited: events at {{ company_name }}",
    "News from {{ company_name }}",
    "Life at {{ company_name }}: our people tell their story",
    "Jobs, training and your rights: the latest from {{ company_name }}",
    "{{ first_name }}, join the {{ company_name }} talent pool",
}


def tenant_default_language(apps, schema_editor):
    Tenant = apps.get_model("tenants", "Tenant")
    schema = schema_editor.connection.schema_name
    return (
        Tenant.objects.filter(schema_name=schema).values_list("default_language", flat=True).first()
        or "en"
    )


def forwards(apps, schema_editor):
    ContentItem = apps.get_model("campaigns", "ContentItem")
    TopicTemplate = apps.get_model("campaigns", "TopicTemplate")
    ContentItem.objects.update(language=tenant_default_language(apps, schema_editor))
    for template in TopicTemplate.objects.exclude(language="en").filter(
        subject__in=_SEEDED_SUBJECTS
    ):
        if not TopicTemplate.objects.filter(
            schedule_id=template.schedule_id, language="en"
        ).exists():
            template.language = "en"
            template.save(update_fields=["language"])


class Migration(migrations.Migration):
    dependencies = [
        ("tenants", "0004_privacy"),
        ("campaigns", "0004_campaign_subject"),
    ]

    operations = [
        migrations.AddField(
            model_name="contentitem",
            name="language",
            field=models.CharField(
                choices=[
                    ("en", "English"),
                    ("fr", "Français"),
                    ("de", "Deutsch"),
                    ("it", "Italiano"),
                ],
                default="en",
                help_text="The language of the title and summary above.",
                max_length=8,
            ),
        ),
        migrations.AddField(
            model_name="contentitem",
            name="translations",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop, elidable=True),
    ]
