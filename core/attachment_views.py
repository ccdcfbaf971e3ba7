from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest

from core.models import Attachment, User
from core.roles import is_agent
from core.tickets.kinds import kind_for_content_type


def _agent_sees_ticket(user: User, attachment: Attachment) -> bool:
    """Whether the kind's selector shows the file's ticket to this agent (a restricted security
    incident may be out of their sight: core.tickets.visibility)."""
    try:
        kind = kind_for_content_type(attachment.ticket_type_id)
    except LookupError:
        return True
    if kind.restriction is None:
        return True
    return bool(kind.list_for_user(user).filter(pk=attachment.ticket_id).exists())


@login_required
def attachment_download(request: HttpRequest, token: str) -> FileResponse:
    """Serve a file as a download only (never inline), once the viewer may see its ticket."""
    try:
        attachment = Attachment.objects.select_related("ticket_type").get(token=token)
    except Attachment.DoesNotExist as exc:
        raise Http404("No such file.") from exc
    user = request.user
    if isinstance(user, User) and is_agent(user) and not _agent_sees_ticket(user, attachment):
        raise Http404("No such file.")
    if not is_agent(request.user):
        if attachment.is_internal:
            raise Http404("No such file.")
        model = attachment.ticket_type.model_class()
        if (
            model is None
            or not model._default_manager.filter(
                pk=attachment.ticket_id, requester=request.user
            ).exists()
        ):
            raise Http404("No such file.")
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type="application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
