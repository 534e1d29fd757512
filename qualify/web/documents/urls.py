from django.urls import path

from qualify.web.documents import creation, notes, views

urlpatterns = [
    path("", views.document_list, name="documents"),
    # Before "<number>/": "new" is a page, not a document number.
    path("new/", creation.document_new, name="document_new"),
    path("<str:number>/", views.document_detail, name="document"),
    path("<str:number>/obsolete/", views.document_obsolete, name="document_obsolete"),
    path("<str:number>/revise/", views.revision_upload, name="document_revise"),
    path("<str:number>/periodic-review/", creation.periodic_review, name="document_review"),
    path(
        "<str:number>/periodic-review/revise/",
        creation.periodic_review_revise,
        name="document_review_revise",
    ),
    path("version/<int:pk>/", views.version_detail, name="document_version"),
    path("version/<int:pk>/file/", views.version_file, name="document_version_file"),
    path("version/<int:pk>/notes/", notes.version_notes, name="document_version_notes"),
    path("version/<int:pk>/submit/", views.version_submit, name="document_version_submit"),
    path("version/<int:pk>/review/", views.version_review, name="document_version_review"),
    path("version/<int:pk>/approve/", views.version_approve, name="document_version_approve"),
    path("version/<int:pk>/withdraw/", views.version_withdraw, name="document_version_withdraw"),
]
