from django.db import migrations


class Migration(migrations.Migration):
    """pg_trgm lives in the public schema so every tenant schema (search_path: tenant, public)
    can use its operator classes for text-search indexes."""

    dependencies = [("tenants", "0001_initial")]

    operations = [
        migrations.RunSQL(
            "CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public;",
            reverse_sql=migrations.RunSQL.noop,
        )
    ]
