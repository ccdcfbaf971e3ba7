"""HTML input of the email channel's admin pages. What makes a mailbox valid is decided by
email_intake.services.mailbox_save (shared with the API); these forms only parse input."""

from typing import Any

from django import forms
from django.forms.models import model_to_dict

from core.models import Service, SupportGroup
from email_intake.choices import AuthMethod, Security, SenderPolicy
from email_intake.models import Mailbox
from email_intake.services import (
    EDITABLE_FIELDS,
    SECRET_FIELDS,
    catalog_item_model,
    email_kinds,
)


def _secret(label: str, help_text: str) -> forms.CharField:
    # Never rendered back (render_value=False): an empty field keeps the stored secret.
    return forms.CharField(
        label=label,
        required=False,
        strip=False,
        max_length=4000,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=help_text,
    )


class MailboxForm(forms.Form):
    name = forms.SlugField(max_length=60, help_text="Short, no spaces: used by mail_check NAME.")
    address = forms.EmailField(
        help_text="What people write to; replies from the desk go out from it."
    )
    is_active = forms.BooleanField(label="Read this mailbox", required=False, initial=True)
    ticket_kind = forms.ChoiceField(label="New mail opens", choices=())
    catalog_item = forms.ModelChoiceField(
        queryset=catalog_item_model()._default_manager.none(),
        required=False,
        label="Catalog item",
        help_text="What new mail asks for (request mailboxes only).",
    )
    support_group = forms.ModelChoiceField(
        queryset=SupportGroup.objects.none(), required=False, label="Support group"
    )
    service = forms.ModelChoiceField(queryset=Service.objects.none(), required=False)
    sender_policy = forms.ChoiceField(
        label="Who may write", choices=SenderPolicy.choices, widget=forms.RadioSelect
    )
    allowed_domains = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One per line, e.g. example.com (for “Only the listed domains”).",
    )
    host = forms.CharField(
        label="IMAP server",
        required=False,
        max_length=255,
        help_text="Leave empty for a mailbox fed only by manage.py mail_import.",
    )
    port = forms.IntegerField(initial=993)
    security = forms.ChoiceField(choices=Security.choices)
    verify_certificate = forms.BooleanField(
        label="Verify the server's certificate", required=False, initial=True
    )
    auth_method = forms.ChoiceField(label="Sign in with", choices=AuthMethod.choices)
    username = forms.CharField(label="User name", required=False, max_length=255)
    password = _secret("Password", "Leave empty to keep the stored password.")
    oauth_token_url = forms.URLField(
        label="OAuth token URL", required=False, max_length=500, assume_scheme="https"
    )
    oauth_client_id = forms.CharField(label="OAuth client ID", required=False, max_length=255)
    oauth_client_secret = _secret("OAuth client secret", "Leave empty to keep the stored secret.")
    oauth_refresh_token = _secret("OAuth refresh token", "Leave empty to keep the stored token.")
    oauth_scope = forms.CharField(label="OAuth scope", required=False, max_length=500)
    folder = forms.CharField(initial="INBOX", max_length=200)
    processed_folder = forms.CharField(
        required=False,
        max_length=200,
        help_text="Processed mail moves here; empty: it is flagged and stays.",
    )
    poll_interval_seconds = forms.IntegerField(
        label="Check every (seconds)", initial=60, help_text="At least 10 seconds."
    )

    def __init__(self, *args: Any, mailbox: Mailbox | None = None, **kwargs: Any) -> None:
        if mailbox is not None and "initial" not in kwargs:
            initial = model_to_dict(mailbox, fields=list(EDITABLE_FIELDS))
            for field in SECRET_FIELDS:
                initial.pop(field, None)
            kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        self.mailbox = mailbox
        self.fields["ticket_kind"].choices = [  # type: ignore[attr-defined]
            (kind.name, kind.label) for kind in email_kinds()
        ]
        catalog_items = catalog_item_model()._default_manager.order_by("name")
        self.fields["catalog_item"].queryset = catalog_items  # type: ignore[attr-defined]
        self.fields["support_group"].queryset = SupportGroup.objects.order_by("tier", "name")  # type: ignore[attr-defined]
        self.fields["service"].queryset = Service.objects.order_by("name")  # type: ignore[attr-defined]
        if mailbox is not None:
            for field in SECRET_FIELDS:
                if getattr(mailbox, field):
                    self.fields[field].help_text = "Stored. " + str(self.fields[field].help_text)

    def data_for_service(self) -> dict[str, Any]:
        return dict(self.cleaned_data)
