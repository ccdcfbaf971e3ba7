from django.apps import AppConfig


class EmailIntakeConfig(AppConfig):
    """The email channel: mailboxes polled over IMAP, each message stored once, then turned
    into a ticket, a reply, an approval answer or a visible refusal."""

    name = "email_intake"
    label = "email_intake"
    verbose_name = "Email intake"

    def ready(self) -> None:
        from core.tickets.notify import reply_to_register
        from email_intake import checks  # noqa: F401 — registers the settings check
        from email_intake.mailbox_memo import MAILBOX_MEMO
        from email_intake.reply_to import mailbox_address_for

        MAILBOX_MEMO.connect()

        reply_to_register(mailbox_address_for)
