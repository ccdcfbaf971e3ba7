"""PostgreSQL refuses TRUNCATE on the timeline, by its owner too (core/audit_sql.py)."""

from django.db import migrations

from core.audit_sql import truncate_guard_statements


def forwards(apps, schema_editor):
    for sql in truncate_guard_statements(schema_editor.connection.vendor, create=True):
        schema_editor.execute(sql)


def backwards(apps, schema_editor):
    for sql in truncate_guard_statements(schema_editor.connection.vendor, create=False):
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("core", "0009_coordination")]

    operations = [migrations.RunPython(forwards, backwards)]
