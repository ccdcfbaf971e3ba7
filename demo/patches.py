"""Demo patch rollouts for `manage.py seed_demo`: the monthly OS patch changes that
demo/changes.py opened from the patch template carry real advisories (vendor and CVE ids) and
the demo's servers, each with a status that fits the change's state — October's rollout is
done everywhere, November's left one server failed and one pending (so the exposure report and
the panels on incidents have something to show), December's has not started.

Rows are written directly (as the other demo histories are), dated by the change; running the
seed again adds nothing.
"""

from datetime import timedelta

from changes.choices import PatchStatus
from changes.models import Change, PatchAdvisory, PatchTarget
from core.models import ConfigurationItem

# (month in the title, advisories) — real identifiers of the kind a monthly rollout carries.
ADVISORIES = {
    "October": [("DSA-5778-1", ["CVE-2024-6387"]), ("DSA-5790-1", ["CVE-2024-47175"])],
    "November": [
        ("DSA-5800-1", ["CVE-2024-3094", "CVE-2024-45490"]),
        ("DSA-5812-1", ["CVE-2024-50379"]),
    ],
    "December": [("DSA-5830-1", ["CVE-2024-53677"]), ("DSA-5835-1", [])],
}
# On November's rollout: the server where the patch failed, and the one not reached yet.
FAILED = ("fs-02", "Package conflict with the backup agent; retry after its upgrade.")
PENDING = "pbx-01"


def _status(month: str, name: str) -> tuple[str, str]:
    if month == "October":
        return PatchStatus.DONE, ""
    if month == "November":
        if name == FAILED[0]:
            return PatchStatus.FAILED, FAILED[1]
        return (PatchStatus.PENDING, "") if name == PENDING else (PatchStatus.DONE, "")
    return PatchStatus.PENDING, ""


def seed_patches_demo() -> dict[str, int]:
    rollouts = list(
        Change.objects.filter(template__is_patch=True)
        .exclude(patch_targets__isnull=False)
        .order_by("created_at")
    )
    servers = list(ConfigurationItem.objects.filter(kind="server", is_active=True).order_by("name"))
    targets = 0
    for change in rollouts:
        month = next((m for m in ADVISORIES if m in change.title), None)
        if month is None:
            continue
        PatchAdvisory.objects.bulk_create(
            PatchAdvisory(change=change, vendor_id=vendor, cve_id=cve)
            for vendor, cves in ADVISORIES[month]
            for cve in (cves or [""])
        )
        when = (change.implemented_at or change.created_at) + timedelta(minutes=30)
        rows = []
        for ci in servers:
            status, note = _status(month, ci.name)
            rows.append(
                PatchTarget(
                    change=change,
                    configuration_item=ci,
                    status=status,
                    note=note,
                    updated_at=when if status != PatchStatus.PENDING else change.created_at,
                )
            )
        targets += len(PatchTarget.objects.bulk_create(rows))
    return {"rollouts": len(rollouts), "targets": targets}
