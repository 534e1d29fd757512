"""Signature manifestations (S1: name, time and meaning wherever a record is shown)."""

from collections import defaultdict

from rest_framework import serializers

from qualify.audit.registry import object_type_of
from qualify.signatures.models import Signature


class SignatureOut(serializers.ModelSerializer):
    meaning_label = serializers.CharField()
    manifestation = serializers.CharField()

    class Meta:
        model = Signature
        fields = [
            "id",
            "username",
            "printed_name",
            "signed_at",
            "meaning",
            "meaning_label",
            "content_hash",
            "manifestation",
        ]


def signatures_by_object(model, ids) -> dict[str, list[Signature]]:
    found: dict[str, list[Signature]] = defaultdict(list)
    rows = Signature.objects.filter(
        object_type=object_type_of(model), object_id__in=[str(i) for i in ids]
    ).order_by("signed_at", "pk")
    for signature in rows:
        found[signature.object_id].append(signature)
    return found
