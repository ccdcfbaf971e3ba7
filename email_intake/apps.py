from django.apps import AppConfig


class EmailIntakeConfig(AppConfig):
    """The email channel: mailboxes polled over IMAP, each message stored once, then turned
    into a ticket, a reply, an approval answer or a visible refusal."""

    name = "email_intake"
    label = "email_intake"
    verbose_name = "Email intake"
