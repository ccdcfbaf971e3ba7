"""The demo's email channel: a mailbox with no server behind it (the embedded default feeds it
with `manage.py mail_import`) and a few messages that came in through the same pipeline as real
mail: a new incident from the demo user, one from someone the desk did not know (an account is
made for them), a reply threaded onto its ticket by the number in the subject, a message with a
log file attached, and an out-of-office reply that was ignored.

Idempotent: the messages have fixed Message-IDs, stored once per mailbox.
"""

from email.message import EmailMessage
from email.utils import format_datetime

from django.db import transaction
from django.utils import timezone

from core.models import OutboxMessage, SupportGroup, User
from email_intake.models import InboundEmail, Mailbox
from email_intake.processing import process_inbound
from email_intake.store import store_message

MAILBOX_ADDRESS = "helpdesk@example.com"


def _mailbox() -> Mailbox:
    mailbox, _ = Mailbox.objects.get_or_create(
        name="helpdesk",
        defaults={
            "address": MAILBOX_ADDRESS,
            "ticket_kind": "incident",
            "support_group": SupportGroup.objects.filter(name="Service Desk").first(),
            "host": "",
        },
    )
    return mailbox


def _message(
    key: str,
    sender: str,
    subject: str,
    text: str,
    *,
    html: str = "",
    headers: dict[str, str] | None = None,
    attachment: tuple[str, bytes] | None = None,
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = MAILBOX_ADDRESS
    message["Subject"] = subject
    message["Date"] = format_datetime(timezone.now())
    message["Message-ID"] = f"<demo-{key}@mail.example.com>"
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    if attachment is not None:
        name, data = attachment
        message.add_attachment(data, maintype="text", subtype="plain", filename=name)
    return message.as_bytes()


def _feed(mailbox: Mailbox, raw: bytes) -> InboundEmail:
    inbound, created = store_message(mailbox, raw)
    if created:
        process_inbound(inbound.pk)
        inbound.refresh_from_db()
    return inbound


def seed_email_demo() -> dict[str, int]:
    """The demo mailbox and its messages; the emails they would send are not kept (no demo mail
    leaves the machine). Returns how many messages the mailbox holds."""
    user = User.objects.get(username="user")
    last_before = OutboxMessage.objects.order_by("-pk").values_list("pk", flat=True).first()
    with transaction.atomic():
        mailbox = _mailbox()
        first = _feed(
            mailbox,
            _message(
                "vpn",
                f"{user.display_name} <{user.email}>",
                "VPN drops every few minutes",
                "Hi,\n\nsince this morning the VPN disconnects every five minutes or so, "
                "both at home and on the train. I have restarted the laptop twice.\n\n"
                f"Thanks,\n{user.first_name}\n",
            ),
        )
        number = _ticket_number(first)
        if number:
            _feed(
                mailbox,
                _message(
                    "vpn-reply",
                    f"{user.display_name} <{user.email}>",
                    f"Re: [{number}] VPN drops every few minutes",
                    "It happens on Wi-Fi only; on the cable it holds.\n\n"
                    f"On Monday, Service Desk <{MAILBOX_ADDRESS}> wrote:\n"
                    "> We received your message and will look into it.\n",
                    headers={"In-Reply-To": "<demo-vpn@mail.example.com>"},
                ),
            )
        _feed(
            mailbox,
            _message(
                "printer",
                "Alex Morgan <alex.morgan@partner.example.org>",
                "Printer on the 3rd floor shows error E-52",
                "The printer next to the kitchen on the 3rd floor shows E-52 and prints nothing.",
                html=(
                    "<p>The printer next to the kitchen on the <b>3rd floor</b> shows "
                    "<code>E-52</code> and prints nothing.</p><p>Alex</p>"
                ),
            ),
        )
        _feed(
            mailbox,
            _message(
                "backup-log",
                f"{user.display_name} <{user.email}>",
                "Nightly backup of the team share failed",
                "The backup report says it failed again; the log is attached.\n",
                attachment=("backup.log", b"02:00 start\n02:14 error: share not reachable\n"),
            ),
        )
        _feed(
            mailbox,
            _message(
                "out-of-office",
                "Chris Baker <chris.baker@example.com>",
                "Automatic reply: Printer on the 3rd floor",
                "I am out of the office until Monday.\n",
                headers={"Auto-Submitted": "auto-replied", "X-Autoreply": "yes"},
            ),
        )
        OutboxMessage.objects.filter(pk__gt=last_before or 0).delete()
    return {"messages": InboundEmail.objects.filter(mailbox=mailbox).count()}


def _ticket_number(inbound: InboundEmail) -> str:
    if inbound.ticket_type_id is None or inbound.ticket_id is None:
        return ""
    model = inbound.ticket_type.model_class() if inbound.ticket_type else None
    if model is None:
        return ""
    return str(
        model._default_manager.filter(pk=inbound.ticket_id).values_list("number", flat=True).first()
        or ""
    )
