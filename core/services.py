"""Comments and attachments on a ticket of any kind, each with its timeline event.

Each function expects to run inside the transaction of the change it records.
"""

import hashlib
import mimetypes
import secrets
from pathlib import PurePath

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone

from core.choices import Source
from core.exceptions import ValidationFailed
from core.models import Attachment, Comment, TicketBase, User
from core.tickets.events import attached_event, commented_event

# Types a browser could render as active content are never accepted, whatever the extension says.
_REFUSED_CONTENT_TYPES = {"text/html", "image/svg+xml", "application/xhtml+xml", "text/xml"}


def _touch(ticket: TicketBase) -> None:
    # Comments and files change "last update" but not `version`: they never conflict with an edit.
    now = timezone.now()
    type(ticket)._default_manager.filter(pk=ticket.pk).update(updated_at=now)
    ticket.updated_at = now


def comment_add(
    *, ticket: TicketBase, author: User, body: str, is_internal: bool, source: str = Source.WEB
) -> Comment:
    """Add a public reply or an internal note and its timeline event."""
    body = body.strip()
    if not body:
        raise ValidationFailed({"body": "Write something before sending."})
    if len(body) > 50_000:
        raise ValidationFailed({"body": "Keep a comment under 50,000 characters."})
    comment = Comment.objects.create(
        ticket_type=ContentType.objects.get_for_model(ticket),
        ticket_id=ticket.pk,
        author=author,
        body=body,
        is_internal=is_internal,
        source=source,
        created_at=timezone.now(),
    )
    commented_event(ticket, comment=comment, source=source)
    _touch(ticket)
    return comment


def attachment_validate(upload: UploadedFile) -> tuple[str, str]:
    """Check size and type; return (safe original name, content type) or raise ValidationFailed."""
    name = PurePath(upload.name or "file").name[:200] or "file"
    if upload.size is None or upload.size == 0:
        raise ValidationFailed({"file": f"{name} is empty."})
    if upload.size > settings.ATTACHMENT_MAX_BYTES:
        limit_mb = settings.ATTACHMENT_MAX_BYTES / (1024 * 1024)
        raise ValidationFailed({"file": f"{name} is larger than {limit_mb:g} MB."})
    extension = PurePath(name).suffix.lower()
    allowed = [ext.lower() for ext in settings.ATTACHMENT_ALLOWED_EXTENSIONS]
    if extension not in allowed:
        raise ValidationFailed(
            {
                "file": f"{name}: files of type '{extension or 'none'}' are not accepted. "
                f"Allowed: {', '.join(allowed)}."
            }
        )
    guessed = mimetypes.guess_type(name)[0] or "application/octet-stream"
    if guessed in _REFUSED_CONTENT_TYPES or (upload.content_type or "") in _REFUSED_CONTENT_TYPES:
        raise ValidationFailed({"file": f"{name}: HTML and SVG files are not accepted."})
    return name, guessed


def attachment_add(
    *,
    ticket: TicketBase,
    uploaded_by: User,
    upload: UploadedFile,
    is_internal: bool = False,
    source: str = Source.WEB,
) -> Attachment:
    """Store an uploaded file on the ticket and record it on the timeline."""
    name, content_type = attachment_validate(upload)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    attachment = Attachment(
        ticket_type=ContentType.objects.get_for_model(ticket),
        ticket_id=ticket.pk,
        uploaded_by=uploaded_by,
        token=secrets.token_hex(16),
        original_name=name,
        content_type=content_type,
        size=upload.size or 0,
        sha256=digest.hexdigest(),
        is_internal=is_internal,
        created_at=timezone.now(),
    )
    attachment.file.save(attachment.token, upload, save=False)
    attachment.save()
    attached_event(ticket, attachment=attachment, source=source)
    _touch(ticket)
    return attachment
