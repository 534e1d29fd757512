"""The API docs page (Swagger UI from the sidecar package, so it works offline)
under a Content-Security-Policy: no inline script (the split view serves the start-up
script as a file) and no inline style block (template qualify/templates/api/). Swagger
UI draws its icons and logo as data: images, which this page alone may load."""

from csp.decorators import csp_update
from django.utils.decorators import method_decorator
from drf_spectacular.views import SpectacularSwaggerSplitView


@method_decorator(csp_update({"img-src": ["data:"]}), name="dispatch")
class ApiDocsView(SpectacularSwaggerSplitView):
    template_name = "api/swagger_ui.html"
