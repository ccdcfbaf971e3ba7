import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# The calendar and its feed read planned, running and implemented changes by window. The
# skeleton's partial index covers the active statuses only; this one adds implemented changes and
# leads with the window's end, so a month from now on skips every change that ended before it.
# Raw SQL (valid on SQLite and PostgreSQL) keeps the model state as the skeleton declares it.
CALENDAR_STATUSES = "'approved', 'awaiting_approval', 'implemented', 'implementing', 'scheduled'"
CREATE_CALENDAR_INDEX = (
    "CREATE INDEX change_calendar_window ON changes_change (planned_end, planned_start) "
    f"WHERE status IN ({CALENDAR_STATUSES})"
)


class Migration(migrations.Migration):
    dependencies = [
        ("changes", "0003_chg_number_sequence"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ChangeCalendarFeed",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("token_hash", models.CharField(max_length=64, unique=True)),
                ("created_at", models.DateTimeField()),
                (
                    "person",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="change_calendar_feed",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
        ),
        migrations.RunSQL(
            CREATE_CALENDAR_INDEX, "DROP INDEX change_calendar_window", state_operations=[]
        ),
    ]
