from django.db import models


class Deployment(models.Model):
    """A deployment reported by CI/CD: version X of service Y deployed at T, recorded as an
    implemented standard change. `idempotency_key` makes a re-sent report a no-op."""

    change = models.OneToOneField(
        "changes.Change", on_delete=models.CASCADE, related_name="deployment"
    )
    idempotency_key = models.CharField(max_length=200, unique=True)
    service = models.ForeignKey("core.Service", on_delete=models.PROTECT, related_name="+")
    version = models.CharField(max_length=120)
    environment = models.CharField(max_length=40, default="production")
    deployed_at = models.DateTimeField()
    # The commit's time, when the pipeline gives it: lead time for changes.
    committed_at = models.DateTimeField(null=True, blank=True)
    commit_sha = models.CharField(max_length=64, blank=True)
    url = models.URLField(max_length=500, blank=True)

    class Meta:
        ordering = ["-deployed_at", "-id"]
        indexes = [
            models.Index(fields=["service", "deployed_at"], name="deployment_service_time"),
            # The deployments list: newest first.
            models.Index(fields=["-deployed_at", "-id"], name="deployment_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.service_id} {self.version} at {self.deployed_at:%Y-%m-%d %H:%M}"
