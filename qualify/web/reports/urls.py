from django.urls import path

from qualify.reports import registry
from qualify.web.reports import review, views

urlpatterns = [
    path("", views.index, name="reports"),
    path("exports/<int:pk>/", views.export_status, name="report_export"),
    path("exports/<int:pk>/file/", views.export_file, name="report_export_file"),
    # Audit-trail review (Annex 11 §9).
    path("audit-reviews/", review.reviews, name="audit_reviews"),
    path("audit-reviews/<int:pk>/", review.review_detail, name="audit_review"),
    # One page per report, each with the access rule declared for its name.
    *[
        path(f"{r.name}/", views.report_page, {"name": r.name}, name=f"report-{r.name}")
        for r in registry.all_reports()
    ],
]
