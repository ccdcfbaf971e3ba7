"""InboundEmailFilterSet: the filters of the refused-mail log, shared by the admin page and
/api/v1/inbound-emails/. It narrows the queryset it is given (the log selector) and never
widens it."""

import django_filters

from email_intake.choices import InboundStatus
from email_intake.models import InboundEmail, Mailbox
from email_intake.selectors import LOG_STATUSES

_LABELS = dict(InboundStatus.choices)


class InboundEmailFilterSet(django_filters.FilterSet):
    mailbox = django_filters.ModelChoiceFilter(
        queryset=Mailbox.objects.order_by("name"), empty_label="All mailboxes", label="Mailbox"
    )
    status = django_filters.ChoiceFilter(
        choices=[(status.value, _LABELS[status]) for status in LOG_STATUSES],
        empty_label="Any refusal",
        label="Status",
    )

    class Meta:
        model = InboundEmail
        fields: list[str] = []
