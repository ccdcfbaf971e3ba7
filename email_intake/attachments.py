"""A message's files on its ticket, with the same size and type checks as uploads.

Every part with a file name or `Content-Disposition: attachment` is a file, inline images
included (named from their Content-ID when they carry no name). Archives are just files: never
unpacked. A file the checks refuse does not refuse the message: the ticket gets an internal note
listing what was not kept and why (the stored raw source still holds it).
"""

import mimetypes

from django.core.files.uploadedfile import SimpleUploadedFile

from core.choices import Source
from core.exceptions import ValidationFailed
from core.models import TicketBase, User
from core.services import attachment_add, comment_add
from email_intake.parsing import Part


def part_name(part: Part, position: int) -> str:
    if part.filename:
        return part.filename
    extension = mimetypes.guess_extension(part.content_type) or ".bin"
    stem = part.content_id.strip("<>").partition("@")[0] or f"part-{position}"
    return f"{stem[:80]}{extension}"


def inline_names(parts: list[Part]) -> dict[str, str]:
    """Content-ID (without brackets) -> file name, for the "[image: name]" of the HTML."""
    return {
        part.content_id.strip("<>"): part_name(part, position)
        for position, part in enumerate(parts, start=1)
        if part.content_id
    }


def store_parts(ticket: TicketBase, parts: list[Part], *, uploaded_by: User) -> list[str]:
    """Attach every part to `ticket`; returns the names kept. The refused ones are listed in
    one internal note. Call inside the transaction that records the message."""
    kept: list[str] = []
    refused: list[str] = []
    for position, part in enumerate(parts, start=1):
        name = part_name(part, position)
        upload = SimpleUploadedFile(name, part.payload, content_type=part.content_type)
        try:
            attachment_add(
                ticket=ticket, uploaded_by=uploaded_by, upload=upload, source=Source.EMAIL
            )
        except ValidationFailed as exc:
            refused.append(f"- {name}: {' '.join(exc.errors.values())}")
        else:
            kept.append(name)
    if refused:
        comment_add(
            ticket=ticket,
            author=uploaded_by,
            body="Files of the email that were not kept (the original message still holds "
            "them):\n\n" + "\n".join(refused),
            is_internal=True,
            source=Source.EMAIL,
        )
    return kept
