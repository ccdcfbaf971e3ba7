from django.db import models

from changes.choices import PatchStatus


class PatchAdvisory(models.Model):
    """A patch a rollout carries: the vendor's identifier ("KB5034441", "DSA-5678-1") and the
    CVE ids it fixes, one row per CVE (an advisory fixing none has one row with no CVE)."""

    change = models.ForeignKey("changes.Change", on_delete=models.CASCADE, related_name="patches")
    vendor_id = models.CharField(max_length=80)
    cve_id = models.CharField(max_length=30, blank=True)

    class Meta:
        ordering = ["vendor_id", "cve_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["change", "vendor_id", "cve_id"], name="patch_advisory_unique"
            )
        ]
        indexes = [models.Index(fields=["cve_id"], name="patch_advisory_cve")]

    def __str__(self) -> str:
        return f"{self.vendor_id} {self.cve_id}".strip()


class PatchTarget(models.Model):
    """One configuration item a patch rollout covers, with how far it got there."""

    change = models.ForeignKey(
        "changes.Change", on_delete=models.CASCADE, related_name="patch_targets"
    )
    configuration_item = models.ForeignKey(
        "core.ConfigurationItem", on_delete=models.PROTECT, related_name="patch_targets"
    )
    status = models.CharField(
        max_length=10, choices=PatchStatus.choices, default=PatchStatus.PENDING
    )
    note = models.CharField(max_length=500, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["configuration_item__name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["change", "configuration_item"], name="patch_target_unique"
            )
        ]
        indexes = [
            # "still exposed": CIs pending a patch.
            models.Index(
                fields=["configuration_item"],
                name="patch_target_pending",
                condition=models.Q(status=PatchStatus.PENDING),
            )
        ]

    def __str__(self) -> str:
        return f"{self.configuration_item_id}: {self.status}"
