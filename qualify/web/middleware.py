"""htmx and redirects.

A form posted by htmx that succeeds answers with a redirect (post/redirect/get). The
browser's XHR would follow it silently and htmx would swap the whole next page into
the form's target; telling htmx to navigate instead keeps every view's plain
`redirect()` correct with and without JavaScript.
"""

from django_htmx.http import HttpResponseClientRedirect


class HtmxRedirectMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        is_htmx = getattr(request, "htmx", False)
        if is_htmx and response.status_code in (301, 302, 303, 307, 308):
            return HttpResponseClientRedirect(response["Location"])
        return response
