"""Request id for every web request (A1), carried in a context variable into every
audit event the request writes, and echoed in the response for support. The GxP
records the request opened are written to the access log in one batch at its end
(qualify.audit.access)."""

import re

from qualify.audit import access
from qualify.audit.context import audit_context, new_request_id

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # A load balancer's id is kept when it is safe to store; otherwise we mint one.
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _SAFE_ID.match(incoming) else new_request_id()
        source = "api" if request.path.startswith("/api/") else "web"
        with audit_context(source=source, request_id=request_id), access.collecting() as opened:
            request.request_id = request_id
            response = self.get_response(request)
            # Only what was shown: a refused or failed request opened nothing.
            if response.status_code < 400:
                access.flush(opened)
        response["X-Request-ID"] = request_id
        return response
