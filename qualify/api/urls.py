from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from qualify.api.docs import ApiDocsView
from qualify.api.views import (
    accounts,
    assessments,
    assignments,
    audit,
    audit_reviews,
    completion,
    content,
    content_authoring,
    documents,
    executions,
    gate,
    learning,
    org,
    people,
    ping,
    quality,
    reauth,
    reports,
    training,
    users,
    webhooks,
    work,
)

# The path prefix, enum names and hooks are in settings.SPECTACULAR_SETTINGS.
SCHEMA_SETTINGS = {
    "DESCRIPTION": (
        "Qualify REST API: HR feed, the MES qualification gate, documents, training "
        "and quality reads, audit trail, webhooks. Authenticate with "
        "`Authorization: Bearer <token>` or a session. Errors are RFC 9457 problem "
        "details. Lists use cursor pagination (`next`, `previous`)."
    ),
}

app_name = "api"
urlpatterns = [
    path(
        "schema/",
        SpectacularAPIView.as_view(
            custom_settings=SCHEMA_SETTINGS, authentication_classes=[], permission_classes=[]
        ),
        name="schema",
    ),
    path(
        "docs/",
        ApiDocsView.as_view(
            url_name="api:schema", authentication_classes=[], permission_classes=[]
        ),
        name="docs",
    ),
    path("ping/", ping.PingView.as_view(), name="ping"),
    # E-learning packages and attempts (issue 15), read-only.
    path("content/packages/", content.PackagesView.as_view(), name="content-packages"),
    path("content/packages/<int:pk>/", content.PackageView.as_view(), name="content-package"),
    path("content/attempts/", content.AttemptsView.as_view(), name="content-attempts"),
    path("content/attempts/<int:pk>/", content.AttemptView.as_view(), name="content-attempt"),
    # Authoring light (issue 15): courses exported and published as packages.
    path("content/courses/", content_authoring.CoursesView.as_view(), name="content-courses"),
    path(
        "content/courses/<int:pk>/",
        content_authoring.CourseView.as_view(),
        name="content-course",
    ),
    path(
        "content/courses/<int:pk>/pages/",
        content_authoring.CoursePagesView.as_view(),
        name="content-course-pages",
    ),
    path(
        "content/courses/<int:pk>/export/",
        content_authoring.CourseExportView.as_view(),
        name="content-course-export",
    ),
    path(
        "content/courses/<int:pk>/publish/",
        content_authoring.CoursePublishView.as_view(),
        name="content-course-publish",
    ),
    # Assessments (L1, L2).
    path("assessments/", assessments.AssessmentsView.as_view(), name="assessments"),
    path("assessments/<int:pk>/", assessments.AssessmentView.as_view(), name="assessment"),
    path(
        "assessments/<int:pk>/attempts/",
        assessments.AttemptStartView.as_view(),
        name="assessment-attempt-start",
    ),
    path("assessments/attempts/", assessments.MyAttemptsView.as_view(), name="my-attempts"),
    path(
        "assessments/attempts/<int:pk>/",
        assessments.AttemptView.as_view(),
        name="assessment-attempt",
    ),
    path(
        "assessments/attempts/<int:pk>/submit/",
        assessments.AttemptSubmitView.as_view(),
        name="assessment-attempt-submit",
    ),
    path(
        "assessments/attempts/<int:pk>/sign/",
        assessments.AttemptSignView.as_view(),
        name="assessment-attempt-sign",
    ),
    path(
        "assessments/banks/<int:pk>/questions/",
        assessments.BankQuestionsView.as_view(),
        name="assessment-bank-questions",
    ),
    path(
        "assessments/banks/<int:pk>/statistics/",
        assessments.BankStatisticsView.as_view(),
        name="assessment-bank-statistics",
    ),
    path("me/work/", work.MyWorkView.as_view(), name="me-work"),
    path("me/learning-path/", learning.MyLearningPathView.as_view(), name="me-learning-path"),
    path("onboarding-plans/", learning.OnboardingPlansView.as_view(), name="onboarding-plans"),
    path(
        "onboarding-plans/<int:pk>/",
        learning.OnboardingPlanView.as_view(),
        name="onboarding-plan",
    ),
    path(
        "curricula/<str:code>/items/<str:requirement>/prerequisite/",
        learning.CurriculumItemPrerequisiteView.as_view(),
        name="curriculum-item-prerequisite",
    ),
    path(
        "training-effectiveness/",
        learning.TrainingEffectivenessView.as_view(),
        name="training-effectiveness",
    ),
    path(
        "assignments/<int:pk>/delta/",
        learning.AssignmentDeltaView.as_view(),
        name="assignment-delta",
    ),
    path(
        "versions/<int:pk>/section-notes/",
        learning.SectionNotesView.as_view(),
        name="version-section-notes",
    ),
    path("people/", people.PeopleView.as_view(), name="people"),
    path("people/bulk/", people.PeopleBulkView.as_view(), name="people-bulk"),
    path("people/<str:employee_number>/", people.PersonView.as_view(), name="person"),
    path(
        "people/<str:employee_number>/deactivate/",
        people.PersonDeactivateView.as_view(),
        name="person-deactivate",
    ),
    path("job-functions/", people.JobFunctionsView.as_view(), name="job-functions"),
    # Organisation set-up (qualify.api.views.org).
    path("org/sites/", org.SitesView.as_view(), name="org-sites"),
    path("org/sites/<str:code>/", org.SiteView.as_view(), name="org-site"),
    path("org/sites/<str:code>/retire/", org.SiteRetireView.as_view(), name="org-site-retire"),
    path("org/departments/", org.DepartmentsView.as_view(), name="org-departments"),
    path("org/departments/<int:pk>/", org.DepartmentView.as_view(), name="org-department"),
    path(
        "org/departments/<int:pk>/retire/",
        org.DepartmentRetireView.as_view(),
        name="org-department-retire",
    ),
    path("org/clients/", org.ClientsView.as_view(), name="org-clients"),
    path("org/clients/<str:code>/", org.ClientView.as_view(), name="org-client"),
    path(
        "org/clients/<str:code>/retire/", org.ClientRetireView.as_view(), name="org-client-retire"
    ),
    path("org/frameworks/", org.FrameworksView.as_view(), name="org-frameworks"),
    path("org/frameworks/<str:code>/", org.FrameworkView.as_view(), name="org-framework"),
    path(
        "org/frameworks/<str:code>/retire/",
        org.FrameworkRetireView.as_view(),
        name="org-framework-retire",
    ),
    path("org/job-functions/", org.JobFunctionsView.as_view(), name="org-job-functions"),
    path("org/job-functions/<str:code>/", org.JobFunctionView.as_view(), name="org-job-function"),
    path(
        "org/job-functions/<str:code>/retire/",
        org.JobFunctionRetireView.as_view(),
        name="org-job-function-retire",
    ),
    path("org/people/", org.PeopleView.as_view(), name="org-people"),
    path(
        "org/people/<str:employee_number>/job-change/",
        org.JobChangeView.as_view(),
        name="org-person-job-change",
    ),
    path(
        "org/people/<str:employee_number>/manager/",
        org.ManagerView.as_view(),
        name="org-person-manager",
    ),
    path("requirements/", training.RequirementsView.as_view(), name="requirements"),
    path("matrix/", training.MatrixView.as_view(), name="matrix"),
    path("matrix/in-grace/", training.MatrixInGraceView.as_view(), name="matrix-in-grace"),
    path("assignments/", training.AssignmentsView.as_view(), name="assignments"),
    path("assignments/adhoc/", assignments.AdHocView.as_view(), name="assignments-adhoc"),
    path(
        "assignments/<int:pk>/cancel/",
        assignments.AssignmentCancelView.as_view(),
        name="assignment-cancel",
    ),
    path("records/", training.RecordsView.as_view(), name="records"),
    # Every completion method (issue 14): certificates, classroom sessions, e-learning.
    path(
        "assignments/<int:pk>/read/",
        completion.AssignmentReadView.as_view(),
        name="assignment-read",
    ),
    path(
        "assignments/<int:pk>/sign/",
        completion.AssignmentSignView.as_view(),
        name="assignment-sign",
    ),
    path("on-the-job/", completion.OnTheJobView.as_view(), name="on-the-job"),
    # Signing through the identity provider instead of a password (issue 16, P110).
    path("signatures/reauth/", reauth.ReauthOffersView.as_view(), name="signature-reauth"),
    path("certificates/", completion.CertificatesView.as_view(), name="certificates"),
    path(
        "certificates/<int:pk>/verify/",
        completion.CertificateVerifyView.as_view(),
        name="certificate-verify",
    ),
    path(
        "certificates/<int:pk>/reject/",
        completion.CertificateRejectView.as_view(),
        name="certificate-reject",
    ),
    path(
        "certificates/<int:pk>/sign/",
        completion.CertificateSignView.as_view(),
        name="certificate-sign",
    ),
    path("sessions/", completion.SessionsView.as_view(), name="sessions"),
    path("sessions/<int:pk>/enrol/", completion.SessionEnrolView.as_view(), name="session-enrol"),
    path(
        "sessions/<int:pk>/withdraw/",
        completion.SessionUnenrolView.as_view(),
        name="session-unenrol",
    ),
    path(
        "sessions/<int:pk>/window/",
        completion.SessionWindowView.as_view(),
        name="session-window",
    ),
    path("sessions/<int:pk>/sign/", completion.SessionSignView.as_view(), name="session-sign"),
    path("sessions/<int:pk>/close/", completion.SessionCloseView.as_view(), name="session-close"),
    path(
        "records/<int:pk>/correct/",
        assignments.RecordCorrectView.as_view(),
        name="record-correct",
    ),
    path("documents/", documents.DocumentsView.as_view(), name="documents"),
    path("documents/<str:number>/", documents.DocumentView.as_view(), name="document"),
    path("documents/<str:number>/versions/", documents.VersionsView.as_view(), name="versions"),
    path(
        "documents/<str:number>/effective/",
        documents.EffectiveVersionView.as_view(),
        name="effective-version",
    ),
    path("qualifications/check", gate.QualificationCheckView.as_view(), name="check"),
    path("executions/", executions.ExecutionsView.as_view(), name="executions"),
    path("batches/<str:batch>/", executions.BatchRecordView.as_view(), name="batch-record"),
    path("quality/capas/", quality.CapasView.as_view(), name="capas"),
    path("quality/deviations/", quality.DeviationsView.as_view(), name="deviations"),
    path("quality/change-controls/", quality.ChangeControlsView.as_view(), name="change-controls"),
    path("audit/events/", audit.AuditEventsView.as_view(), name="audit-events"),
    # Audit-trail review (Annex 11 §9), the same services as the pages.
    path("audit/reviews/", audit_reviews.ReviewsView.as_view(), name="audit-reviews"),
    path("audit/reviews/due/", audit_reviews.DueView.as_view(), name="audit-reviews-due"),
    path("audit/reviews/<int:pk>/", audit_reviews.ReviewView.as_view(), name="audit-review"),
    path(
        "audit/reviews/<int:pk>/entries/",
        audit_reviews.EntriesView.as_view(),
        name="audit-review-entries",
    ),
    path(
        "audit/reviews/<int:pk>/findings/",
        audit_reviews.FindingsView.as_view(),
        name="audit-review-findings",
    ),
    path(
        "audit/reviews/<int:pk>/sign/", audit_reviews.SignView.as_view(), name="audit-review-sign"
    ),
    path(
        "users/<int:pk>/access-history/",
        accounts.UserAccessHistoryView.as_view(),
        name="user-access-history",
    ),
    path("access-history/", accounts.AccessHistoryView.as_view(), name="access-history"),
    path("users/", users.UsersView.as_view(), name="users"),
    path("users/onboard/", users.UsersOnboardView.as_view(), name="users-onboard"),
    path("users/<int:pk>/", users.UserDetailView.as_view(), name="user-detail"),
    path("users/<int:pk>/lock/", users.UserLockView.as_view(), name="user-lock"),
    path("users/<int:pk>/unlock/", users.UserUnlockView.as_view(), name="user-unlock"),
    path(
        "users/<int:pk>/password-reset/",
        users.UserPasswordResetView.as_view(),
        name="user-password-reset",
    ),
    path("users/<int:pk>/identity/", users.UserIdentityView.as_view(), name="user-identity"),
    path("audit/checkpoints/", audit.CheckpointsView.as_view(), name="checkpoints"),
    path(
        "webhooks/subscriptions/",
        webhooks.SubscriptionsView.as_view(),
        name="webhook-subscriptions",
    ),
    path(
        "webhooks/subscriptions/<int:pk>/deactivate/",
        webhooks.SubscriptionDeactivateView.as_view(),
        name="webhook-deactivate",
    ),
    path("webhooks/deliveries/", webhooks.DeliveriesView.as_view(), name="webhook-deliveries"),
    # Inspection reports (issue 13): the list, one URL per report, background exports.
    path("reports/", reports.ReportsView.as_view(), name="reports"),
    *reports.report_urls(),
    path("reports/exports/<int:pk>/", reports.ReportExportView.as_view(), name="report-export"),
    path(
        "reports/exports/<int:pk>/file/",
        reports.ReportExportFileView.as_view(),
        name="report-export-file",
    ),
]
