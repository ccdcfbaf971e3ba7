from django.db import migrations

from core.numbering import create_number_sequence


class Migration(migrations.Migration):
    dependencies = [("changes", "0002_emergency_reminder")]

    operations = [create_number_sequence("CHG")]
