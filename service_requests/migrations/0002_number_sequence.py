from django.db import migrations

from core.numbering import create_number_sequence


class Migration(migrations.Migration):
    dependencies = [("requests", "0001_catalog_and_requests")]

    operations = [create_number_sequence("REQ")]
