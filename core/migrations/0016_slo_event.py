from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0015_oncall_source_page_event"),
    ]

    operations = [
        migrations.AlterField(
            model_name="timelineevent",
            name="kind",
            field=models.CharField(
                choices=[
                    ("created", "Created"),
                    ("status_changed", "Status changed"),
                    ("fields_changed", "Fields changed"),
                    ("assigned", "Assigned"),
                    ("commented", "Commented"),
                    ("attached", "Attachment added"),
                    ("escalated", "Escalated"),
                    ("deescalated", "De-escalated"),
                    ("sla", "SLA"),
                    ("alert", "Alert"),
                    ("rated", "Rated"),
                    ("email_bounced", "Email bounced"),
                    ("page", "Page"),
                    ("task_updated", "Task updated"),
                    ("linked", "Linked"),
                    ("unlinked", "Unlinked"),
                    ("linked_resolved", "Linked tickets resolved"),
                    ("review", "Review"),
                    ("recategorized", "Category changed"),
                    ("slo", "SLO alert"),
                ],
                max_length=20,
            ),
        ),
    ]
