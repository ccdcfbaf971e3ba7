from django.db import migrations

from core.numbering import create_number_sequence


class Migration(migrations.Migration):
    dependencies = [("problems", "0001_initial")]

    operations = [create_number_sequence("PRB")]
