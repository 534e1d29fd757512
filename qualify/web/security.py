"""The Permissions-Policy header (Django sets the other security headers itself:
see the security section of qualify/settings.py)."""

from django.conf import settings


class PermissionsPolicyMiddleware:
    """Deny browser features no page uses (camera, microphone, geolocation …) to every
    page and every frame, unless a view already set its own policy."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = settings.QUALIFY_PERMISSIONS_POLICY

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", self.policy)
        return response
