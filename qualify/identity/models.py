"""Enterprise identity (issue 16): which provider subject is which account, and the
re-authentications requested for pending signatures."""

from django.conf import settings
from django.db import models


class ExternalIdentity(models.Model):
    """An account's stable subject at an identity provider (OIDC `sub`, SAML NameID
    persistent, SCIM externalId). Sign-in links by this, never by e-mail alone; a
    subject names one account and an account has one subject per provider."""

    provider = models.CharField(max_length=100)
    subject = models.CharField(max_length=255)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="external_identities"
    )
    linked_at = models.DateTimeField()
    last_login_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "identity_external_identity"
        constraints = [
            models.UniqueConstraint(fields=["provider", "subject"], name="identity_subject_once"),
            models.UniqueConstraint(fields=["provider", "user"], name="identity_user_once"),
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.subject} -> {self.user_id}"


class ReauthRequest(models.Model):
    """A forced re-authentication at the provider for exactly one pending signature
    (its meaning and the binding hash of what is signed). `state` and `nonce` are
    single-use; `redeemed_at` is set once, when the signature uses it."""

    ticket = models.CharField(max_length=64, unique=True)
    state = models.CharField(max_length=128, unique=True)
    nonce = models.CharField(max_length=128)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    provider = models.CharField(max_length=100)
    meaning = models.CharField(max_length=40)
    object_type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=64)
    binding = models.CharField(max_length=64)
    return_url = models.CharField(max_length=500)
    requested_at = models.DateTimeField()
    authenticated_at = models.DateTimeField(null=True, blank=True)
    auth_time = models.DateTimeField(null=True, blank=True)
    acr = models.CharField(max_length=200, blank=True)
    amr = models.JSONField(default=list)
    subject = models.CharField(max_length=255, blank=True)
    redeemed_at = models.DateTimeField(null=True, blank=True)
    refused = models.TextField(blank=True)

    class Meta:
        db_table = "identity_reauth_request"

    def __str__(self) -> str:
        return f"Re-authentication of {self.user_id} for {self.meaning} ({self.requested_at})"


class ScimClient(models.Model):
    """A provisioning client (Entra ID, Okta…) with its own bearer token and its own
    service account, the actor of every change it makes. Only the token's SHA-256 is
    kept; the token is shown once at creation (`qualify scim create-client`)."""

    name = models.CharField(max_length=100, unique=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="scim_client"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=12)
    created_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "identity_scim_client"

    def __str__(self) -> str:
        return self.name


class OAuthIntegration(models.Model):
    """An integration (MES, HR, document system) using OAuth2 client credentials:
    django-oauth-toolkit's application, its service account (the application's user)
    and the API scopes it may ask for, the same scopes as a bearer token's."""

    application = models.OneToOneField(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL,
        on_delete=models.PROTECT,
        related_name="integration",
    )
    name = models.CharField(max_length=100, unique=True)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "identity_oauth_integration"

    def __str__(self) -> str:
        return self.name


class SamlInbox(models.Model):
    """A SAML response as the provider POSTed it, held for the one same-site GET that
    follows: the provider's cross-site POST carries no session cookie (SameSite=Lax),
    the redirect after it does. Deleted when read; only the key opens it."""

    key = models.CharField(max_length=64, unique=True)
    response = models.TextField()
    relay_state = models.CharField(max_length=500, blank=True)
    received_at = models.DateTimeField()

    class Meta:
        db_table = "identity_saml_inbox"

    def __str__(self) -> str:
        return f"SAML response received {self.received_at}"


class ProviderSetting(models.Model):
    """One identity provider setting made on the administrator's page (issue 16),
    by the name of the QUALIFY_* setting it stands for. An environment variable of
    the same name (or NAME_FILE) takes precedence; without either, the built-in
    default applies. Each change is audited with its old and new value and reason.
    Secrets are never stored: the client secret is named by the path of its file."""

    name = models.CharField(max_length=60, unique=True)
    value = models.JSONField()
    changed_at = models.DateTimeField()
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        db_table = "identity_provider_setting"

    def __str__(self) -> str:
        return self.name
