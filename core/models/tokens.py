"""Personal API tokens and the stored results of idempotent API requests."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Now


class ApiTokenScope(models.TextChoices):
    READ = "read", "Read — list and view what you may see"
    WRITE = "write", "Write — create and change tickets"
    ALERTS = "alerts", "Alerts — send monitoring alerts"
    DEPLOYMENTS = "deployments", "Deployments — report deployments from CI/CD"


class ApiToken(models.Model):
    """A personal API token: acts as its user, limited to its scopes, until it expires or is
    revoked.

    Only a SHA-256 digest of the secret is stored (`key_hash`); the secret is shown once when the
    token is created (core.api.tokens.api_token_create) and cannot be recovered. `prefix` is the
    public start of the secret, shown in lists so a user can tell their tokens apart. Tokens are
    revoked, never deleted, so an audit can still see which token did what. `last_used_at` is
    refreshed at most once a minute (a conditional UPDATE), so authentication costs one query.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    key_hash = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Who created the token: the user, or an admin on their behalf.",
    )
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "API token"
        indexes = [models.Index(fields=["user", "-created_at"], name="apitoken_user_created")]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


class IdempotencyRecord(models.Model):
    """The first response to a creation request sent with an `Idempotency-Key` header.

    Written in the same transaction as what the request created, so a committed record means the
    creation committed and a retry replays `response_body` instead of creating again. The unique
    (user, key) constraint makes concurrent retries wait for the first one: the second INSERT
    blocks on the first transaction and then fails, and the caller replays what committed.
    `fingerprint` is a digest of method, path and body: the same key with another request is
    refused. Records older than API_IDEMPOTENCY_TTL_HOURS no longer count and are purged.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    response_status = models.PositiveSmallIntegerField()
    response_body = models.JSONField(default=dict)
    response_headers = models.JSONField(default=dict)
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_user_key_unique")
        ]
        indexes = [models.Index(fields=["created_at"], name="idempotency_created")]

    def __str__(self) -> str:
        return f"{self.method} {self.path} [{self.key}]"
