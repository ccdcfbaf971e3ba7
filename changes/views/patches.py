"""The patch pages for agents: a rollout's patches, configuration items and per-item status
(`/agent/changes/<number>/rollout/`), and the configuration items still exposed per CVE
(`/agent/changes/patches/exposure/`, also as CSV)."""

from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from changes.kind import CHANGE
from changes.models import Change
from changes.patches.forms import (
    AdvisoriesForm,
    ExposureFilterForm,
    TargetsForm,
    TargetStatusForm,
)
from changes.patches.selectors import (
    exposure_chunks,
    exposure_rows,
    is_patch_rollout,
    rollout_advisories,
    rollout_progress,
    rollout_targets,
)
from changes.patches.services import (
    rollout_add_targets,
    rollout_set_advisories,
    rollout_set_target_status,
)
from changes.selectors import change_get_for_user
from core.exceptions import DomainError, ValidationFailed
from core.models import ConfigurationItem
from core.web.access import agent_required, current_user, paginate
from core.web.csv_download import csv_download, csv_stream


def _rollout(request: HttpRequest, number: str) -> Change:
    change = change_get_for_user(current_user(request), number)
    if not is_patch_rollout(change):
        raise Http404(f"{change.number} is not a patch rollout.")
    return change


def _form_errors(form: Form) -> str:
    return " ".join(str(error) for errors in form.errors.values() for error in errors)


def _said(error: DomainError) -> str:
    if isinstance(error, ValidationFailed):
        return " ".join(error.errors.values())
    return str(error)


@agent_required
def rollout_page(request: HttpRequest, number: str) -> HttpResponse:
    change = _rollout(request, number)
    advisories = list(rollout_advisories(change).values_list("vendor_id", "cve_id"))
    return render(
        request,
        "changes/patches/rollout.html",
        {
            "change": change,
            "change_url": CHANGE.agent_path(change.number),
            "advisories": advisories,
            "cves": sorted({cve for _, cve in advisories if cve}),
            "progress": rollout_progress(change),
            "page": paginate(request, rollout_targets(change), settings.QUEUE_PAGE_SIZE),
            "advisories_form": AdvisoriesForm(
                initial={"advisories": AdvisoriesForm.text_for(advisories)}
            ),
            "targets_form": TargetsForm(),
            "status_choices": TargetStatusForm.base_fields["status"].choices,  # type: ignore[attr-defined]
            "writable": change.status not in ("closed", "cancelled"),
        },
    )


def _back(number: str) -> HttpResponse:
    return redirect(reverse("changes:rollout", args=[number]))


@agent_required
@require_POST
def rollout_patches(request: HttpRequest, number: str) -> HttpResponse:
    change = _rollout(request, number)
    form = AdvisoriesForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return _back(number)
    version = _int(request.POST.get("version"))
    try:
        rollout_set_advisories(
            change,
            actor=current_user(request),
            advisories=form.cleaned_data["advisories"],
            expected_version=version,
        )
    except DomainError as exc:
        messages.error(request, _said(exc))
    else:
        messages.success(request, f"Patches of {number} saved.")
    return _back(number)


@agent_required
@require_POST
def rollout_targets_add(request: HttpRequest, number: str) -> HttpResponse:
    change = _rollout(request, number)
    form = TargetsForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return _back(number)
    items = form.cleaned_data["items"]
    try:
        rollout_add_targets(change, actor=current_user(request), configuration_items=items)
    except DomainError as exc:
        messages.error(request, _said(exc))
    else:
        messages.success(request, f"{len(items)} configuration item(s) on {number}.")
    return _back(number)


@agent_required
@require_POST
def rollout_target_status(request: HttpRequest, number: str, ci_id: int) -> HttpResponse:
    change = _rollout(request, number)
    item = get_object_or_404(ConfigurationItem, pk=ci_id)
    form = TargetStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"{item.name}: choose pending, done, failed or skipped.")
        return _back(number)
    try:
        rollout_set_target_status(
            change,
            actor=current_user(request),
            configuration_item=item,
            status=form.cleaned_data["status"],
            note=form.cleaned_data["note"],
        )
    except DomainError as exc:
        messages.error(request, _said(exc))
    else:
        messages.success(request, f"{item.name} on {number}: {form.cleaned_data['status']}.")
    return _back(number)


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# --- Exposure --------------------------------------------------------------------------------

CSV_HEADER = ("cve", "configuration_item", "service", "rollout")
EXPOSURE_CHUNK_SIZE = 2000


def _csv_lines(rows: Any) -> Iterator[str]:
    chunks = exposure_chunks(rows, chunk_size=EXPOSURE_CHUNK_SIZE)
    return csv_stream(
        CSV_HEADER,
        (
            (
                row["cve"],
                row["ci_name"] or "",
                row["service_name"] or "",
                row["rollout"],
            )
            for chunk in chunks
            for row in chunk
        ),
    )


@agent_required
def exposure_report(request: HttpRequest) -> HttpResponse:
    form = ExposureFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    service = data.get("service")
    rows = exposure_rows(
        cve=data.get("cve", ""), service_id=service.pk if service is not None else None
    )
    if request.GET.get("format") == "csv" and not form.errors:
        return csv_download(_csv_lines(rows), "patch-exposure.csv")  # type: ignore[return-value]
    page = paginate(request, rows, settings.QUEUE_PAGE_SIZE)
    return render(request, "changes/patches/exposure.html", {"form": form, "page": page})
