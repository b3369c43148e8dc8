from django.db import migrations


def create_public_tenant(apps, schema_editor):
    Tenant = apps.get_model("tenants", "Tenant")
    Tenant.objects.get_or_create(schema_name="public", defaults={"name": "Platform"})


class Migration(migrations.Migration):
    """The public site (landing page, platform admin) is served by the public tenant."""

    dependencies = [("tenants", "0002_trigram_extension")]

    operations = [migrations.RunPython(create_public_tenant, migrations.RunPython.noop)]
