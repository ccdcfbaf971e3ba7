from django.db import models


class TicketCounter(models.Model):
    """The last number handed out per ticket prefix (INC, REQ, PRB) on databases without sequences.

    On PostgreSQL numbers come from a sequence per prefix instead (see core.numbering), which never
    holds a row lock until commit.
    """

    prefix = models.CharField(max_length=8, primary_key=True)
    last_value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.prefix}: {self.last_value}"
