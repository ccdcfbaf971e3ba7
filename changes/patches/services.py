"""Writes to a patch rollout: the patches it carries (vendor ids and CVE ids), the configuration
items it covers and each one's status. Each write locks the change, bumps its version and adds
one agent-only timeline event saying what changed; bad input changes nothing.

Only patch rollouts (standard changes from a patch template) carry patches; a closed or
cancelled rollout changes no more.
"""

from collections.abc import Iterable, Sequence

from django.db import transaction
from django.utils import timezone

from changes.choices import PatchStatus
from changes.models import Change, PatchAdvisory, PatchTarget
from changes.patches.cve import clean_cve
from changes.patches.selectors import is_patch_rollout
from changes.permissions import require_change_worker
from core.choices import Source
from core.exceptions import TransitionError, ValidationFailed
from core.models import ConfigurationItem, User
from core.tickets.events import details_edited_event
from core.tickets.executor import refuse_final, ticket_lock, ticket_save

MAX_ADVISORIES = 200
MAX_TARGETS = 5_000


def _locked_rollout(change: Change, actor: User, expected_version: int | None) -> Change:
    require_change_worker(actor)
    locked = ticket_lock(change, expected_version)
    refuse_final(locked)
    if not is_patch_rollout(locked):
        raise TransitionError(f"{locked.number} is not a patch rollout.")
    return locked


def parse_advisories(text: str) -> list[tuple[str, list[str]]]:
    """Lines "VENDOR-ID: CVE-…, CVE-…" (the CVE list may be empty) as (vendor id, CVE ids);
    ValidationFailed naming the first bad line."""
    parsed: list[tuple[str, list[str]]] = []
    for number, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        vendor, _, rest = line.partition(":")
        vendor = vendor.strip()
        if not vendor or len(vendor) > 80:
            hint = "start with the vendor's patch id (80 characters at most)"
            raise ValidationFailed({"advisories": f"Line {number}: {hint}."})
        cves: list[str] = []
        for item in rest.replace(";", ",").split(","):
            if not item.strip():
                continue
            cve = clean_cve(item)
            if cve is None:
                bad = item.strip()
                raise ValidationFailed(
                    {"advisories": f"Line {number}: '{bad}' is not a CVE id (CVE-2024-12345)."}
                )
            cves.append(cve)
        parsed.append((vendor, list(dict.fromkeys(cves))))
    if len(parsed) > MAX_ADVISORIES:
        raise ValidationFailed({"advisories": f"At most {MAX_ADVISORIES} patches per rollout."})
    return parsed


def rollout_set_advisories(
    change: Change,
    *,
    actor: User,
    advisories: Sequence[tuple[str, Sequence[str]]],
    source: str = Source.WEB,
    expected_version: int | None = None,
) -> Change:
    """Replace the patches the rollout carries: one row per (vendor id, CVE id), a vendor id
    fixing no CVE keeps one row without."""
    rows = {(vendor, cve) for vendor, cves in advisories for cve in (list(cves) or [""])}
    with transaction.atomic():
        locked = _locked_rollout(change, actor, expected_version)
        before = set(PatchAdvisory.objects.filter(change=locked).values_list("vendor_id", "cve_id"))
        if before == rows:
            return locked
        PatchAdvisory.objects.filter(change=locked).delete()
        PatchAdvisory.objects.bulk_create(
            PatchAdvisory(change=locked, vendor_id=vendor, cve_id=cve)
            for vendor, cve in sorted(rows)
        )
        ticket_save(locked, ())
        details_edited_event(
            locked,
            actor=actor,
            source=source,
            fields={"patches": len({vendor for vendor, _ in rows}), "cves": len(_cves(rows))},
            message=_advisories_sentence(rows),
        )
    return locked


def _cves(rows: set[tuple[str, str]]) -> list[str]:
    return sorted({cve for _, cve in rows if cve})


def _advisories_sentence(rows: set[tuple[str, str]]) -> str:
    if not rows:
        return "No patches."
    vendors = ", ".join(sorted({vendor for vendor, _ in rows}))
    cves = _cves(rows)
    return f"Patches: {vendors}" + (f" (fixing {', '.join(cves)})." if cves else ".")


def rollout_add_targets(
    change: Change,
    *,
    actor: User,
    configuration_items: Iterable[ConfigurationItem],
    source: str = Source.WEB,
    expected_version: int | None = None,
) -> Change:
    """Add configuration items to the rollout, each pending (one already on it is kept as it
    is)."""
    items = {ci.pk: ci for ci in configuration_items}
    if not items:
        raise ValidationFailed({"configuration_items": "Choose at least one configuration item."})
    with transaction.atomic():
        locked = _locked_rollout(change, actor, expected_version)
        present = set(
            PatchTarget.objects.filter(change=locked).values_list(
                "configuration_item_id", flat=True
            )
        )
        new = [items[pk] for pk in sorted(items) if pk not in present]
        if len(present) + len(new) > MAX_TARGETS:
            raise ValidationFailed(
                {"configuration_items": f"A rollout covers at most {MAX_TARGETS:,} items."}
            )
        if not new:
            return locked
        now = timezone.now()
        PatchTarget.objects.bulk_create(
            PatchTarget(change=locked, configuration_item=ci, updated_at=now) for ci in new
        )
        ticket_save(locked, (), now=now)
        details_edited_event(
            locked,
            actor=actor,
            source=source,
            fields={"targets_added": len(new)},
            message="Added to the rollout: " + ", ".join(ci.name for ci in new) + ".",
        )
    return locked


def rollout_set_target_status(
    change: Change,
    *,
    actor: User,
    configuration_item: ConfigurationItem,
    status: str,
    note: str = "",
    source: str = Source.WEB,
    expected_version: int | None = None,
) -> PatchTarget:
    """Record how the rollout went on one configuration item (a failure says why)."""
    if status not in PatchStatus.values:
        raise ValidationFailed({"status": f"'{status}' is not a valid status."})
    note = (note or "").strip()
    if len(note) > 500:
        raise ValidationFailed({"note": "Keep the note under 500 characters."})
    if status == PatchStatus.FAILED and not note:
        raise ValidationFailed({"note": "Say why the patch failed on this item."})
    with transaction.atomic():
        locked = _locked_rollout(change, actor, expected_version)
        target = (
            PatchTarget.objects.select_for_update()
            .filter(change=locked, configuration_item=configuration_item)
            .first()
        )
        if target is None:
            raise ValidationFailed(
                {"configuration_item": f"{configuration_item.name} is not in {locked.number}."}
            )
        if (target.status, target.note) == (status, note):
            return target
        previous = target.status
        now = timezone.now()
        target.status, target.note, target.updated_at = status, note, now
        target.save(update_fields=["status", "note", "updated_at"])
        ticket_save(locked, (), now=now)
        label = PatchStatus(status).label.lower()
        details_edited_event(
            locked,
            actor=actor,
            source=source,
            fields={"patch_target": configuration_item.name, "from": previous, "to": status},
            message=f"{configuration_item.name}: {label}" + (f" — {note}" if note else "."),
        )
    return target
