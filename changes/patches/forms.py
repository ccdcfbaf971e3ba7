"""Forms of the patch pages: the patches a rollout carries, the configuration items it covers,
one item's status, and the exposure report's filters."""

from typing import Any

from django import forms

from changes.choices import PatchStatus
from changes.patches.cve import clean_cve
from changes.patches.services import parse_advisories
from core.exceptions import ValidationFailed
from core.models import ConfigurationItem, Service


class AdvisoriesForm(forms.Form):
    advisories = forms.CharField(
        label="Patches",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=(
            "One patch per line: the vendor's id, then the CVE ids it fixes "
            "(KB5034441: CVE-2024-20666). Replaces the list."
        ),
    )

    def clean_advisories(self) -> list[tuple[str, list[str]]]:
        try:
            return parse_advisories(self.cleaned_data["advisories"])
        except ValidationFailed as exc:
            raise forms.ValidationError(exc.errors["advisories"]) from None

    @staticmethod
    def text_for(rows: list[tuple[str, str]]) -> str:
        """The stored (vendor id, CVE id) rows as the form's lines."""
        by_vendor: dict[str, list[str]] = {}
        for vendor, cve in rows:
            by_vendor.setdefault(vendor, [])
            if cve:
                by_vendor[vendor].append(cve)
        return "\n".join(
            f"{vendor}: {', '.join(cves)}" if cves else vendor for vendor, cves in by_vendor.items()
        )


class TargetsForm(forms.Form):
    service = forms.ModelChoiceField(queryset=Service.objects.order_by("name"))
    names = forms.CharField(
        label="Configuration items",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=(
            "Names, one per line or separated by commas; empty: every active item of the service."
        ),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        service = data.get("service")
        if service is None:
            return data
        names = [n.strip() for n in (data.get("names") or "").replace(",", "\n").splitlines()]
        wanted = [n for n in dict.fromkeys(names) if n]
        items = ConfigurationItem.objects.filter(service=service, is_active=True)
        if wanted:
            items = items.filter(name__in=wanted)
        found = list(items.order_by("name"))
        unknown = sorted(set(wanted) - {ci.name for ci in found})
        if unknown:
            self.add_error("names", f"Not an active item of {service.name}: {', '.join(unknown)}.")
        elif not found:
            self.add_error("names", f"{service.name} has no active configuration item.")
        data["items"] = found
        return data


class TargetStatusForm(forms.Form):
    status = forms.ChoiceField(choices=PatchStatus.choices)
    note = forms.CharField(required=False, max_length=500)


class ExposureFilterForm(forms.Form):
    cve = forms.CharField(label="CVE", required=False, max_length=30)
    service = forms.ModelChoiceField(
        queryset=Service.objects.order_by("name"), required=False, empty_label="Any service"
    )

    def clean_cve(self) -> str:
        value = (self.cleaned_data.get("cve") or "").strip()
        if not value:
            return ""
        cve = clean_cve(value)
        if cve is None:
            raise forms.ValidationError("Give a CVE id like CVE-2024-3094.")
        return cve
