from django.urls import path

from qualify.web.inspector import views

urlpatterns = [
    path("qualified/", views.question, name="inspector_question"),
    path("transcript/", views.transcript_find, name="inspector_transcript_find"),
    path("transcript/<int:pk>/", views.transcript, name="inspector_transcript"),
    path("document/<str:number>/", views.document_status, name="inspector_document_status"),
    path("audit/", views.audit_trail, name="inspector_audit"),
    path("audit/verify/", views.audit_verify, name="inspector_verify"),
    path("audit/verify/<int:pk>/", views.audit_verify_run, name="inspector_verify_run"),
]
