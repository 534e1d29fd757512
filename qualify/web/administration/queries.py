"""Reads for the administrator's pages. Accounts belong to no client; the client
restrictions shown are the users' own (U2)."""

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404
from django_otp.plugins.otp_totp.models import TOTPDevice

from qualify.accounts.models import User


def users(text: str = "", status: str = "") -> QuerySet[User]:
    qs = User.objects.prefetch_related("groups", "client_access__client").order_by("username")
    text = (text or "").strip()
    if text:
        qs = qs.filter(Q(username__icontains=text) | Q(printed_name__icontains=text))
    if status == "locked":
        qs = qs.filter(locked_at__isnull=False)
    elif status == "deactivated":
        qs = qs.filter(is_active=False)
    elif status == "unverified":
        qs = qs.filter(Q(identity_verified_at__isnull=True) | Q(esig_acknowledged_at__isnull=True))
    return qs


def user(pk: int) -> User:
    found = get_object_or_404(
        User.objects.prefetch_related("groups", "client_access__client"), pk=pk
    )
    found.role_names = sorted(found.groups.values_list("name", flat=True))
    found.clients = [access.client for access in found.client_access.all()]
    found.otp_enrolled = TOTPDevice.objects.filter(user=found, confirmed=True).exists()
    return found
