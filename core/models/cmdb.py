from django.db import models

from core.choices import Criticality


class Service(models.Model):
    """A business or technical service that incidents affect (CMDB-lite), owned by a group."""

    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    owner_group = models.ForeignKey(
        "core.SupportGroup", on_delete=models.PROTECT, related_name="owned_services"
    )
    criticality = models.CharField(
        max_length=10, choices=Criticality.choices, default=Criticality.MEDIUM
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ConfigurationItem(models.Model):
    """A component a service runs on (server, database, application, network device...)."""

    service = models.ForeignKey(
        Service, on_delete=models.PROTECT, related_name="configuration_items"
    )
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=40, blank=True, help_text="server, database, app, ...")
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["service__name", "name"]
        verbose_name = "configuration item"
        constraints = [
            models.UniqueConstraint(fields=["service", "name"], name="ci_unique_name_per_service")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.service.name})" if self.service_id else self.name
