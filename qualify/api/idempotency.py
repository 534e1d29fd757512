"""Idempotency-Key for POSTs: the first successful response is stored, with a hash
of the request and of the response, in the same transaction as the write; a retry
with the same key and the same request gets that response again (header
`Idempotent-Replayed: true`) and writes nothing. The same key with another request
is refused (422); a retry racing the first gets 409. Failed requests store nothing
(their writes rolled back), so they may be retried with the same key."""

import functools
import hashlib
import json
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from qualify.api.errors import Conflict
from qualify.api.models import IdempotencyKey

HEADER = "Idempotency-Key"


class KeyReused(exceptions.APIException):
    status_code = 422
    default_detail = "This Idempotency-Key was used for a different request."
    default_code = "idempotency_key_reused"


def _plain(value: Any) -> Any:
    if isinstance(value, UploadedFile):
        digest = hashlib.sha256()
        for chunk in value.chunks():
            digest.update(chunk)
        value.seek(0)
        return {"file": value.name, "size": value.size, "sha256": digest.hexdigest()}
    if hasattr(value, "lists"):  # QueryDict
        return {k: [_plain(v) for v in vs] for k, vs in value.lists()}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _sha(data: Any) -> str:
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def idempotent(handler):
    """Wrap a view's post(); the whole handler runs in one transaction either way."""

    @functools.wraps(handler)
    def wrapper(self, request, *args, **kwargs):
        key = request.headers.get(HEADER, "").strip()
        if not key:
            with transaction.atomic():
                return handler(self, request, *args, **kwargs)
        if len(key) > 200:
            raise exceptions.ValidationError({HEADER: ["At most 200 characters."]})
        request_hash = _sha(
            {"method": request.method, "path": request.path, "data": _plain(request.data)}
        )
        stored = IdempotencyKey.objects.filter(user=request.user, key=key).first()
        if stored is not None:
            if stored.request_hash != request_hash:
                raise KeyReused()
            response = Response(stored.response_body, status=stored.status_code)
            response["Idempotent-Replayed"] = "true"
            return response
        try:
            with transaction.atomic():
                response = handler(self, request, *args, **kwargs)
                if 200 <= response.status_code < 300:
                    body = json.loads(JSONRenderer().render(response.data) or b"null")
                    IdempotencyKey.objects.create(
                        user=request.user,
                        key=key,
                        method=request.method,
                        path=request.path[:500],
                        request_hash=request_hash,
                        status_code=response.status_code,
                        response_body=body,
                        response_hash=_sha(body),
                        created_at=timezone.now(),
                    )
        except IntegrityError:
            raise Conflict("A request with this Idempotency-Key is being processed.") from None
        return response

    return wrapper
