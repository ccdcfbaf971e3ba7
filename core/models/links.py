from django.contrib.contenttypes.models import ContentType
from django.db import models


class TicketLinkKind(models.TextChoices):
    CONVERTED_TO = "converted_to", "Converted to"


class TicketLink(models.Model):
    """A directed link between two tickets of any kind (e.g. an incident converted to a request).

    Links are written by core.links inside the transaction of the change they record and are
    never edited; one link per (from, to, kind).
    """

    from_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    from_id = models.BigIntegerField()
    to_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    to_id = models.BigIntegerField()
    kind = models.CharField(max_length=20, choices=TicketLinkKind.choices)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["from_type", "from_id", "to_type", "to_id", "kind"],
                name="ticketlink_unique",
            )
        ]
        indexes = [
            models.Index(fields=["from_type", "from_id"], name="ticketlink_from_idx"),
            models.Index(fields=["to_type", "to_id"], name="ticketlink_to_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.from_type_id}:{self.from_id} {self.kind} {self.to_type_id}:{self.to_id}"
