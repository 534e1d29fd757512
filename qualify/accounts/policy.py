"""Least privilege, declared once (U2, P15).

Every page, htmx fragment, API endpoint, export and report of the project is named
in `POLICY` by its URL name ("web:quality_detail", "api:records"), with the `Rule`
that says who may use it. Two enforcers read this table and nothing else:

- pages: `qualify.web.access.AccessPolicyMiddleware` (login redirect, 403);
- API: `qualify.api.auth.ScopeAndRolePermission` (401, 403, token scopes).

The same data has the same rule on both: `RECORDS` governs the records endpoint and
the inspector's transcript alike. A URL with no entry is refused on every
interface, and `tests/test_access_policy.py` fails until it is declared.

A rule names roles of U2 (or, rarely, a single Django permission, written with a
dot). It has three reaches for reading:

- `read`: everything, within the user's client restriction (U2);
- `trainees`: the user's own records and those of the people they trained;
- `own`: the user's own records only (their training, records, executions,
  qualification answers, the deviations they reported).

`write` names who may POST (PUT, PATCH, DELETE). Query functions that list or fetch
a governed model call `only_own()` so the narrower reaches hold on every interface;
what a persona may not reach is 404, never 403 (it may not know it exists).

Hazards: a role added to `read` widens what that role sees everywhere the rule is
used; the exhaustive access test enumerates every URL x persona, so read its
failures as the list of what changed.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet

from qualify.accounts.roles import (
    ADMINISTRATOR,
    AUDITOR,
    COORDINATOR,
    DOCUMENT_CONTROLLER,
    EMPLOYEE,
    QA_APPROVER,
    TRAINER,
)

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# Reaches, widest first.
ALL = "all"
TRAINEES = "trainees"
OWN = "own"

# Everyone who works on the plant floor and signs their own training (all roles but
# the auditor and the administrator, who never sign GxP records).
STAFF = frozenset({EMPLOYEE, TRAINER, COORDINATOR, DOCUMENT_CONTROLLER, QA_APPROVER})


def _set(*grants: str) -> frozenset[str]:
    return frozenset(grants)


@dataclass(frozen=True)
class Rule:
    """Who may use a page or endpoint. See the module docstring."""

    what: str
    read: frozenset[str] = frozenset()
    write: frozenset[str] = frozenset()
    trainees: frozenset[str] = frozenset()
    own: frozenset[str] = frozenset()
    # U2: a client-restricted user sees only their clients' objects here.
    client: bool = True
    # No sign-in needed (the login page, the API's schema).
    public: bool = False
    # Any signed-in person (their own account pages, the home page).
    signed_in: bool = False
    # A POST that only reads (the batch qualification check).
    post_reads: bool = False
    # The endpoint authenticates by a token of its own (the cmi5 auth token of the
    # xAPI endpoint), never the session: the pages' middleware lets it through and
    # the view answers 401 without its token, to everyone.
    token: bool = False
    # API tokens: the scope needed to read, and to write.
    read_scope: str | None = "read"
    write_scope: str | None = None
    # A refused write here is a GxP refusal, audited (A5).
    gxp: bool = True
    by_kind: dict[str, Rule] = field(default_factory=dict, compare=False)

    def without_own(self) -> Rule:
        """The same rule where a page shows no per-person filtering: the narrower
        reaches do not apply, so those holding only them are refused."""
        return dataclasses.replace(self, own=frozenset(), trainees=frozenset())

    def form(self) -> Rule:
        """The same rule for a page whose only purpose is a change (a "new" or an
        "approve" form): showing the form needs what submitting it needs."""
        return dataclasses.replace(self, read=self.write, own=frozenset(), trainees=frozenset())

    def for_kwargs(self, kwargs: dict[str, Any]) -> Rule:
        """A page that serves several kinds of record (quality/<kind>/…) names one
        rule per kind; an unknown kind keeps this (empty) rule."""
        if self.by_kind:
            return self.by_kind.get(str(kwargs.get("kind")), self)
        return self


# Where a request's user keeps its role names (qualify.org.access_facts fills it too).
ROLES_ATTRIBUTE = "_qualify_roles"


def user_roles(user: Any) -> frozenset[str]:
    """The role names a user holds, read once per request."""
    if user is None or not getattr(user, "is_authenticated", False):
        return frozenset()
    cached = getattr(user, ROLES_ATTRIBUTE, None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        setattr(user, ROLES_ATTRIBUTE, cached)
    return cached


def holds(user: Any, grants: frozenset[str]) -> bool:
    if not grants or user is None or not getattr(user, "is_authenticated", False):
        return False
    if user_roles(user) & grants:
        return True
    return any(user.has_perm(g) for g in grants if "." in g)


def reach(user: Any, rule: Rule) -> str | None:
    """How far the user may read under the rule: ALL, TRAINEES, OWN or None."""
    if rule.public or (rule.signed_in and getattr(user, "is_authenticated", False)):
        return ALL
    if holds(user, rule.read):
        return ALL
    if holds(user, rule.trainees):
        return TRAINEES
    if holds(user, rule.own):
        return OWN
    return None


def is_read(method: str, rule: Rule) -> bool:
    return method.upper() in READ_METHODS or (rule.post_reads and method.upper() == "POST")


def may(user: Any, rule: Rule, method: str) -> bool:
    """May the user use this page or endpoint with this method at all? Object-level
    reach (own, trainees) is then applied by the query functions."""
    if rule.public or rule.token:
        return True
    if not getattr(user, "is_authenticated", False):
        return False
    if rule.signed_in:
        return True
    if is_read(method, rule):
        return reach(user, rule) is not None
    return holds(user, rule.write)


def why_refused(rule: Rule, method: str) -> str:
    """The refusal in words for the person refused."""
    if is_read(method, rule):
        return f"Your roles do not give access to {rule.what}."
    return f"Your roles do not allow changing {rule.what}."


def only_own(
    queryset: QuerySet,
    user: Any,
    rule: Rule,
    *,
    person: str | None = "person",
    trainer: str | None = None,
    reporter: str | None = None,
) -> QuerySet:
    """The rows of `queryset` the user reaches under `rule` (compose with the client
    restriction, which the same query function applies).

    `person` is the lookup to the Person the row is about ("" when the queryset is
    of Person itself); `trainer` the lookup to the Person who trained (records);
    `reporter` the lookup to the user who reported it (deviations).
    """
    level = reach(user, rule)
    if level == ALL:
        return queryset
    if level is None:
        return queryset.none()
    uid = user.pk
    mine = Q(pk__in=[])
    if person is not None:
        mine |= Q(**{(f"{person}__user_id" if person else "user_id"): uid})
    if reporter is not None:
        mine |= Q(**{reporter: uid})
    if level == TRAINEES:
        if trainer is not None:
            mine |= Q(**{f"{trainer}__user_id": uid})
        elif person is not None:
            # Rows about a person this user has trained (a subquery: no duplicates).
            path = f"{person}__training_records" if person else "training_records"
            trained = queryset.model.objects.filter(**{f"{path}__trainer__user_id": uid})
            mine |= Q(pk__in=trained.values("pk"))
    return queryset.filter(mine)


# --- The rules ------------------------------------------------------------------

PUBLIC = Rule("a public page", public=True, read_scope=None, gxp=False)
SIGNED_IN = Rule("your account", signed_in=True, gxp=False, client=False)
ACCOUNTS = Rule(
    "user accounts",
    read=_set(ADMINISTRATOR),
    write=_set(ADMINISTRATOR),
    client=False,
)
MY_TRAINING = Rule(
    "your own training",
    own=STAFF,
    write=STAFF,
)
TRAINING_SESSIONS = Rule(
    "recording training sessions",
    read=_set(TRAINER),
    write=_set(TRAINER),
)
# External certificates (issue 14): a person submits and signs their own; coordinators
# read every one of their clients, verify (signing) or reject; auditors read.
CERTIFICATES = Rule(
    "external training certificates",
    read=_set(COORDINATOR, AUDITOR),
    own=STAFF,
    write=STAFF,
)
CERTIFICATE_DECISIONS = Rule(
    "verifying external training certificates",
    read=_set(COORDINATOR, AUDITOR),
    write=_set(COORDINATOR),
)
# Classroom sessions: everyone who trains sees them and enrols themselves (a trainer or
# coordinator enrols others: the service decides); trainers schedule and run them.
SESSIONS = Rule(
    "classroom sessions",
    read=STAFF | {AUDITOR},
    write=STAFF,
)
# The kiosk in the room: no sign-in; the signing window's token in its address is the
# only key, and each attendee signs with their own user id and password.
KIOSK = Rule("the classroom kiosk", public=True, read_scope=None, gxp=False, client=False)
DOCUMENTS = Rule(
    "controlled documents",
    read=_set(DOCUMENT_CONTROLLER, QA_APPROVER, AUDITOR),
    write=_set(DOCUMENT_CONTROLLER),
    write_scope="documents-write",
)
DOCUMENT_AUTHORING = Rule(
    "drafting document revisions",
    read=_set(DOCUMENT_CONTROLLER),
    write=_set(DOCUMENT_CONTROLLER),
)
DOCUMENT_REVIEW = Rule(
    "reviewing document revisions",
    read=_set(DOCUMENT_CONTROLLER, QA_APPROVER),
    write=_set(DOCUMENT_CONTROLLER, QA_APPROVER),
)
DOCUMENT_APPROVAL = Rule(
    "approving or obsoleting documents",
    read=_set(QA_APPROVER),
    write=_set(QA_APPROVER),
)
JOB_FUNCTIONS = Rule(
    "job functions",
    read=_set(COORDINATOR, AUDITOR),
    write=_set(COORDINATOR),
)
MATRIX = Rule(
    "the training matrix",
    read=_set(COORDINATOR, AUDITOR),
    write=_set(COORDINATOR),
)
REQUIREMENTS = Rule(
    "training requirements and curricula",
    read=_set(COORDINATOR, AUDITOR),
    write=_set(COORDINATOR),
)
PEOPLE = Rule(
    "people and their job history",
    read=_set(COORDINATOR, AUDITOR),
    write=_set(COORDINATOR),
    write_scope="people-write",
)
ASSIGNMENTS = Rule(
    "training assignments",
    read=_set(COORDINATOR, QA_APPROVER, AUDITOR),
    write=_set(COORDINATOR, QA_APPROVER),
    own=STAFF,
)
# R1: a trainer corrects the records of the training they gave, a coordinator any
# record (the trainee signs the correction on their screen).
RECORD_CORRECTION = Rule(
    "correcting training records",
    read=_set(COORDINATOR, QA_APPROVER, AUDITOR),
    trainees=_set(TRAINER),
    write=_set(COORDINATOR, TRAINER),
)
COMPLIANCE = Rule(
    "the compliance dashboard",
    read=_set(COORDINATOR, AUDITOR),
)
# Issue 14: the training manager's effectiveness figures (QA and the auditor read them
# too) and a new hire's onboarding plan (the coordinator makes it).
EFFECTIVENESS = Rule(
    "training effectiveness",
    read=_set(COORDINATOR, QA_APPROVER, AUDITOR),
)
ONBOARDING = Rule(
    "onboarding plans",
    read=_set(COORDINATOR, AUDITOR),
    write=_set(COORDINATOR),
)
RECORDS = Rule(
    "training records",
    read=_set(COORDINATOR, QA_APPROVER, AUDITOR),
    trainees=_set(TRAINER),
    own=STAFF,
)
QUALIFICATIONS = Rule(
    "qualification answers",
    read=_set(COORDINATOR, QA_APPROVER, AUDITOR),
    trainees=_set(TRAINER),
    own=STAFF,
    post_reads=True,
)
CHANGE_CONTROLS = Rule(
    "change controls",
    read=_set(DOCUMENT_CONTROLLER, QA_APPROVER, AUDITOR),
    write=_set(DOCUMENT_CONTROLLER, QA_APPROVER),
)
CAPAS = Rule(
    "CAPAs",
    read=_set(QA_APPROVER, AUDITOR),
    write=_set(QA_APPROVER),
)
DEVIATIONS = Rule(
    "deviations",
    read=_set(QA_APPROVER, AUDITOR),
    write=_set(QA_APPROVER),
    own=STAFF,
)
DEVIATION_REPORTING = Rule(
    "reporting a deviation",
    read=_set(EMPLOYEE, QA_APPROVER),
    write=_set(EMPLOYEE, QA_APPROVER),
)
QUALITY_OVERVIEW = Rule(
    "quality records",
    read=_set(DOCUMENT_CONTROLLER, QA_APPROVER, AUDITOR),
)
QUALITY_CLOSURE = Rule(
    "closing quality records",
    read=_set(QA_APPROVER),
    write=_set(QA_APPROVER),
)
EXECUTIONS = Rule(
    "executions (work recorded on batches)",
    read=_set(QA_APPROVER, AUDITOR),
    own=STAFF,
    # The MES (a service account with the employee role) records anyone's work.
    write=_set(EMPLOYEE, QA_APPROVER),
    write_scope="executions-write",
)
INSPECTION = Rule(
    "the inspector's pages",
    read=_set(QA_APPROVER, AUDITOR),
)
AUDIT_TRAIL = Rule(
    "the audit trail",
    read=_set(AUDITOR, ADMINISTRATOR),
    # Verifying the trail changes nothing.
    post_reads=True,
    client=False,
)
WEBHOOKS = Rule(
    "webhook subscriptions",
    read=_set(ADMINISTRATOR, "api.add_webhooksubscription"),
    write=_set(ADMINISTRATOR, "api.add_webhooksubscription"),
    read_scope="webhooks-manage",
    write_scope="webhooks-manage",
    client=False,
)
API_PING = Rule("the API", signed_in=True, gxp=False, client=False)
# Organisation set-up (issue 11). Sites, departments, clients and frameworks are the
# plant's structure, not GxP records: the administrator keeps them (U2 lets the
# administrator manage the installation, never sign). Job functions, people and
# their job history decide who must train (Q5): the coordinator's (JOB_FUNCTIONS,
# PEOPLE). The auditor reads all of it.
ORGANISATION = Rule(
    "the organisation's sites, departments, clients and frameworks",
    read=_set(ADMINISTRATOR, COORDINATOR, AUDITOR),
    write=_set(ADMINISTRATOR),
)
# The header's search box: any signed-in user; each kind of result is searched only
# when the user's roles read it, through the query that applies their reach.
SEARCH = Rule("finding people, documents and quality records", signed_in=True, gxp=False)
# Issue 18: the search behind a form's lookup field, one kind per source
# (qualify.web.lookup): whoever may submit a form that chooses among those rows, the
# rows the kind's query function gives them (client restriction and reach).
LOOKUP_BY_KIND = {
    # Deviation reports, CAPA training actions, assignments, a person's manager.
    "people": Rule("choosing people", read=_set(EMPLOYEE, QA_APPROVER, COORDINATOR)),
    # Deviation reports.
    "documents": Rule("choosing documents", read=_set(EMPLOYEE, QA_APPROVER)),
    # Change controls, requirements, assignments.
    "open-documents": Rule(
        "choosing documents", read=_set(DOCUMENT_CONTROLLER, QA_APPROVER, COORDINATOR)
    ),
    # The matrix, requirements, assignments, CAPA training actions.
    "requirements": Rule("choosing training requirements", read=_set(COORDINATOR, QA_APPROVER)),
    # Owners of CAPA actions.
    "accounts": Rule("choosing an owner", read=_set(QA_APPROVER), client=False),
    # The deviation a CAPA is raised from.
    "deviations": Rule("choosing a deviation", read=_set(QA_APPROVER)),
    # Change controls, CAPA training actions, assignments (250 on the large plant).
    "job-functions": Rule(
        "choosing job functions", read=_set(DOCUMENT_CONTROLLER, QA_APPROVER, COORDINATOR)
    ),
    # A new person's and a job function's department (60 on the large plant).
    "departments": Rule("choosing a department", read=_set(COORDINATOR), client=False),
    # A new document's owner: document controllers and QA approvers.
    "document-owners": Rule(
        "choosing a document's owner", read=_set(DOCUMENT_CONTROLLER), client=False
    ),
}
LOOKUP = Rule("choosing among many rows", by_kind=LOOKUP_BY_KIND)
# My work (issue 11): each signed-in user's own inbox; every item is read through
# the query functions of its kind, so it holds only what the user's roles and client
# restriction reach. Nothing is written there.
MY_WORK = Rule("your work", signed_in=True, gxp=False)
# Inspection reports (issue 13): coordinators, QA and auditors run them within their
# client restriction; starting an export (POST) only reads. An employee gets their
# own training file only (own reach, applied by the report's person lookup). A new
# report is declared here by its name; its page and API URLs take its rule.
REPORTS = Rule(
    "inspection reports",
    read=_set(COORDINATOR, QA_APPROVER, AUDITOR),
    post_reads=True,
)
EMPLOYEE_FILE = dataclasses.replace(REPORTS, what="employee training files", own=STAFF)
# Audit-trail review (Annex 11 §9): QA approvers review and sign; the auditor reads the
# reviews (read-only, never signs, U2). The trail is reviewed whole: no client scoping.
AUDIT_REVIEW = Rule(
    "audit-trail reviews",
    read=_set(QA_APPROVER, AUDITOR),
    write=_set(QA_APPROVER),
    client=False,
)
# Assessments (L1, L2). The trainee takes, submits and signs their own attempts (the
# pages and API fetch only the user's own). Question banks carry the answers: document
# control edits drafts, QA reviews and approves them, the auditor reads them. The
# training manager (coordinator) defines assessments and reads item statistics; a
# trainer or coordinator reviews free-text answers.
MY_ASSESSMENTS = Rule("your own assessments", own=STAFF, write=STAFF)
QUESTION_BANKS = Rule(
    "question banks",
    read=_set(DOCUMENT_CONTROLLER, QA_APPROVER, AUDITOR),
    write=_set(DOCUMENT_CONTROLLER),
    write_scope="documents-write",
)
ASSESSMENT_DEFINITIONS = Rule(
    "assessment definitions and item statistics",
    read=_set(COORDINATOR, QA_APPROVER, AUDITOR),
    write=_set(COORDINATOR),
)
ASSESSMENT_REVIEW = Rule(
    "reviewing free-text assessment answers",
    read=_set(TRAINER, COORDINATOR),
    write=_set(TRAINER, COORDINATOR),
)
# P63: validation runs; QA approves one (signed), the auditor and QA read them.
VALIDATION_RUNS = Rule(
    "validation runs",
    read=_set(QA_APPROVER, AUDITOR),
    write=_set(QA_APPROVER),
    client=False,
)
REPORT_RULES: dict[str, Rule] = {
    "qualified": REPORTS,
    "employee-file": EMPLOYEE_FILE,
    "performances": REPORTS,
    "revision-roster": REPORTS,
    "compliance": REPORTS,
    "matrix": REPORTS,
    # CAPAs, change controls and deviations are read by QA and the auditor.
    "quality-record": dataclasses.replace(REPORTS, what="quality record reports"),
    # The audit trail's readers (U2: the auditor, and the administrator).
    "audit-trail": AUDIT_TRAIL,
    # The access-history page's readers (AUDIT_TRAIL), as accounts.queries.access_history.
    "access-rights": AUDIT_TRAIL,
    # The software version, migrations and settings in force (the same readers).
    "system-history": AUDIT_TRAIL,
    # Training effectiveness (issue 14): the training manager, QA and the auditor.
    "training-effectiveness": REPORTS,
}
# The reports list and a user's background exports (each user sees their own only).
# The administrator runs the audit-trail report (AUDIT_TRAIL), so opens the list too.
REPORT_LIST = dataclasses.replace(
    EMPLOYEE_FILE, what="reports", read=EMPLOYEE_FILE.read | {ADMINISTRATOR}
)

QUALITY_BY_KIND = {
    "capas": CAPAS,
    "deviations": DEVIATIONS,
    "change-controls": CHANGE_CONTROLS,
}
# An unknown kind falls back to the overview's readers, whom the page answers 404.
QUALITY_DETAIL = dataclasses.replace(QUALITY_OVERVIEW, by_kind=QUALITY_BY_KIND)
# The lists show every record of a kind: reporters find theirs from their own pages.
QUALITY_LIST = dataclasses.replace(
    QUALITY_OVERVIEW, by_kind={k: r.without_own() for k, r in QUALITY_BY_KIND.items()}
)
QUALITY_CLOSE = dataclasses.replace(
    QUALITY_CLOSURE, by_kind=dict.fromkeys(QUALITY_BY_KIND, QUALITY_CLOSURE)
)


# E-learning (issue 15): the learner plays, commits and signs their own attempts; the
# package's files are read by whoever reads controlled documents or trains on them.
ELEARNING = Rule("your e-learning", own=STAFF, write=STAFF)
PACKAGE_FILES = Rule(
    "e-learning package files",
    read=STAFF | {AUDITOR},
)
# The xAPI endpoint and the cmi5 fetch URL: the cmi5 auth token (or the one-time
# fetch URL) is the credential, not the session.
XAPI = Rule("the xAPI endpoint", token=True, read_scope=None, client=False, gxp=False)
# Issue 15, for integration engineers (read-only): the packages with their versions and
# standard, and attempts with their run-time state. Learners read their own attempts;
# coordinators, QA and the auditor every attempt of their clients.
ELEARNING_PACKAGES = Rule("e-learning packages", read=STAFF | {AUDITOR})
ELEARNING_ATTEMPTS = Rule(
    "e-learning attempts",
    read=_set(COORDINATOR, QA_APPROVER, AUDITOR),
    own=STAFF,
)
# Authoring light through the API: document control, with the documents-write scope.
COURSE_AUTHORING = dataclasses.replace(
    DOCUMENT_AUTHORING, what="authoring e-learning courses", write_scope="documents-write"
)
# cmi5 "waived" (9.3.8): the training coordinator waives an AU of a learner's attempt.
ELEARNING_WAIVER = Rule(
    "waiving a cmi5 AU",
    read=_set(COORDINATOR),
    write=_set(COORDINATOR),
)
# SCIM (issue 16): the provisioning client's own bearer token; its service account is
# the actor and the account services check what it may change.
SCIM = Rule("SCIM provisioning", token=True, read_scope=None, client=False, gxp=False)

POLICY: dict[str, Rule] = {
    # Issue 18: probes and metrics for the machines (metrics: loopback or its token,
    # qualify.web.ops).
    "healthz": PUBLIC,
    "readyz": PUBLIC,
    "metrics": PUBLIC,
    # Sign-in and the API's description.
    "login": PUBLIC,
    "logout": PUBLIC,
    # Issue 16: single sign-on (the provider's answers arrive signed out, or for the
    # signed-in person's own pending signature).
    "identity:oidc_login": PUBLIC,
    "identity:oidc_callback": PUBLIC,
    # Public for the kiosk, where nobody is signed in: the view answers only a state
    # this browser started (a session user's or the kiosk attendee's).
    "identity:reauth_callback": PUBLIC,
    "identity:sign_reauth": SIGNED_IN,
    # The administrator's page for the identity providers' settings.
    "identity:settings": ACCOUNTS,
    "identity:logout": PUBLIC,
    "identity:saml_metadata": PUBLIC,
    "identity:saml_login": PUBLIC,
    "identity:saml_acs": PUBLIC,
    "identity:saml_continue": PUBLIC,
    # The provider's logout messages; a LogoutRequest must carry its signature.
    "identity:saml_slo": PUBLIC,
    # Issue 16: SCIM provisioning, authenticated by each client's own bearer token.
    "scim:users": SCIM,
    "scim:user": SCIM,
    "scim:groups": SCIM,
    "scim:group": SCIM,
    "scim:bulk": SCIM,
    "scim:config": SCIM,
    "scim:resource_types": SCIM,
    "scim:resource_type": SCIM,
    "scim:schemas": SCIM,
    "scim:schema": SCIM,
    # Issue 16: OAuth2 client credentials; the client's id and secret are the
    # credential (django-oauth-toolkit's token endpoint).
    "oauth_token": Rule(
        "the OAuth2 token endpoint", token=True, read_scope=None, client=False, gxp=False
    ),
    # U4: the forgotten-password request and the one-time link's page.
    "password_forgotten": PUBLIC,
    "password_set": PUBLIC,
    "api:schema": PUBLIC,
    "api:docs": PUBLIC,
    "api:ping": API_PING,
    # Home and the user's own account.
    "web:home": SIGNED_IN,
    "web:account_overview": SIGNED_IN,
    "web:account_password": SIGNED_IN,
    "web:account_authenticator": SIGNED_IN,
    "web:account_authenticator_start": SIGNED_IN,
    "web:account_acknowledge": SIGNED_IN,
    # The employee's own training (the pages fetch only the user's own rows).
    "web:employee_training": MY_TRAINING,
    "web:employee_assignment": MY_TRAINING,
    "web:employee_assignment_document": MY_TRAINING,
    "web:employee_path": MY_TRAINING,
    "api:me-learning-path": MY_TRAINING,
    "api:training-effectiveness": EFFECTIVENESS,
    "api:onboarding-plans": ONBOARDING,
    "api:onboarding-plan": ONBOARDING,
    "api:curriculum-item-prerequisite": REQUIREMENTS,
    "api:assignment-delta": MY_TRAINING,
    "api:version-section-notes": DOCUMENTS,
    "web:employee_records": MY_TRAINING,
    "web:employee_record": MY_TRAINING,
    "web:employee_qualifications": MY_TRAINING,
    # Trainers record classroom and on-the-job sessions.
    "web:trainer_home": TRAINING_SESSIONS,
    "web:trainer_ojt": TRAINING_SESSIONS,
    "web:trainer_people": TRAINING_SESSIONS,
    # Classroom sessions (room, capacity, enrolment, signing window) and the kiosk.
    "web:trainer_sessions": TRAINING_SESSIONS,
    "web:trainer_session": TRAINING_SESSIONS,
    "web:kiosk": KIOSK,
    "web:employee_session": SESSIONS,
    "web:employee_elearning_read": MY_TRAINING,
    # External certificates: the person's own, and the coordinator's verification.
    "web:employee_certificate_new": CERTIFICATES.form(),
    "web:employee_certificate": CERTIFICATES,
    "web:coordinator_certificates": CERTIFICATE_DECISIONS,
    "web:coordinator_certificate": CERTIFICATE_DECISIONS,
    "api:certificates": CERTIFICATES,
    "api:certificate-verify": CERTIFICATE_DECISIONS.form(),
    "api:certificate-reject": CERTIFICATE_DECISIONS.form(),
    "api:certificate-sign": CERTIFICATES.form(),
    "api:sessions": dataclasses.replace(SESSIONS, write=_set(TRAINER)),
    "api:session-enrol": SESSIONS.form(),
    "api:session-unenrol": SESSIONS.form(),
    "api:session-sign": SESSIONS.form(),
    "api:session-window": TRAINING_SESSIONS.form(),
    "api:session-close": TRAINING_SESSIONS.form(),
    "api:assignment-read": MY_TRAINING.form(),
    "api:assignment-sign": MY_TRAINING.form(),
    # The offer is for the caller's own signature; the endpoint it names checks the
    # caller may sign there (issue 16, P110).
    "api:signature-reauth": SIGNED_IN,
    "api:on-the-job": TRAINING_SESSIONS.form(),
    # Administration of accounts.
    "web:admin_users": ACCOUNTS,
    "web:admin_user": ACCOUNTS,
    "web:admin_user_roles": ACCOUNTS,
    "web:admin_user_unlock": ACCOUNTS,
    "web:admin_user_deactivate": ACCOUNTS,
    "web:admin_user_reactivate": ACCOUNTS,
    "web:admin_user_identity": ACCOUNTS,
    "web:admin_user_otp_reset": ACCOUNTS,
    "web:admin_user_client_grant": ACCOUNTS,
    "web:admin_user_client_revoke": ACCOUNTS,
    "web:admin_user_exception": ACCOUNTS,
    "web:admin_user_exception_end": ACCOUNTS,
    "web:admin_user_new": ACCOUNTS.form(),
    "web:admin_users_onboard": ACCOUNTS.form(),
    "web:admin_user_lock": ACCOUNTS,
    "web:admin_user_password_reset": ACCOUNTS,
    "api:users": ACCOUNTS,
    "api:users-onboard": ACCOUNTS,
    "api:user-detail": ACCOUNTS,
    "api:user-lock": ACCOUNTS,
    "api:user-unlock": ACCOUNTS,
    "api:user-password-reset": ACCOUNTS,
    "api:user-identity": ACCOUNTS,
    # Who held which role and client access (P26): read like the audit trail it
    # is built from.
    "web:admin_access_history": AUDIT_TRAIL,
    "api:access-history": AUDIT_TRAIL,
    "api:user-access-history": AUDIT_TRAIL,
    # Documents.
    "web:documents": DOCUMENTS,
    "web:document": DOCUMENTS,
    "web:document_version": DOCUMENTS,
    "web:document_version_file": DOCUMENTS,
    "web:document_version_notes": DOCUMENTS,
    "web:document_revise": DOCUMENT_AUTHORING,
    "web:document_new": DOCUMENT_AUTHORING,
    "web:document_review_revise": DOCUMENT_AUTHORING,
    "web:document_review": DOCUMENT_REVIEW,
    "web:document_version_submit": DOCUMENT_AUTHORING,
    "web:document_version_withdraw": DOCUMENT_AUTHORING,
    "web:document_version_review": DOCUMENT_REVIEW,
    "web:document_version_approve": DOCUMENT_APPROVAL,
    "web:document_obsolete": DOCUMENT_APPROVAL,
    "api:documents": DOCUMENTS,
    "api:document": DOCUMENTS,
    "api:versions": DOCUMENTS,
    "api:effective-version": DOCUMENTS,
    # The training coordinator's pages and the same data in the API.
    "web:coordinator_job_functions": JOB_FUNCTIONS,
    "web:coordinator_matrix": MATRIX,
    "web:coordinator_matrix_add": MATRIX.form(),
    "web:coordinator_matrix_end": MATRIX.form(),
    "web:coordinator_requirements": REQUIREMENTS,
    "web:coordinator_requirement_new": REQUIREMENTS.form(),
    "web:coordinator_curricula": REQUIREMENTS,
    "web:coordinator_curriculum": REQUIREMENTS,
    "web:coordinator_people": PEOPLE,
    "web:coordinator_person": PEOPLE,
    # The coordinator's list shows everyone's: the narrower reaches use "my training".
    "web:coordinator_assignments": ASSIGNMENTS.without_own(),
    "web:coordinator_assignment": ASSIGNMENTS.without_own(),
    "web:coordinator_assignment_new": ASSIGNMENTS.form(),
    "web:coordinator_assignment_cancel": ASSIGNMENTS.form(),
    "web:coordinator_record": RECORD_CORRECTION,
    "web:coordinator_record_correct": RECORD_CORRECTION.form(),
    "web:coordinator_dashboard": COMPLIANCE,
    "web:coordinator_effectiveness": EFFECTIVENESS,
    "web:coordinator_onboarding": ONBOARDING,
    "api:job-functions": JOB_FUNCTIONS,
    "api:matrix": MATRIX,
    "api:matrix-in-grace": MATRIX,
    "api:requirements": REQUIREMENTS,
    "api:people": PEOPLE,
    "api:people-bulk": PEOPLE,
    "api:person": PEOPLE,
    "api:person-deactivate": PEOPLE,
    "api:assignments": ASSIGNMENTS,
    "api:assignments-adhoc": ASSIGNMENTS.form(),
    "api:assignment-cancel": ASSIGNMENTS.form(),
    "api:record-correct": RECORD_CORRECTION.form(),
    "api:records": RECORDS,
    "api:check": QUALIFICATIONS,
    # Quality records.
    "web:quality": QUALITY_OVERVIEW,
    "web:quality_list": QUALITY_LIST,
    "web:quality_detail": QUALITY_DETAIL,
    "web:quality_close": QUALITY_CLOSE,
    "web:quality_capa_new": CAPAS.form(),
    "web:quality_capa_action_new": CAPAS.form(),
    "web:quality_action_complete": CAPAS.form(),
    "web:quality_capa_training_new": CAPAS.form(),
    "web:quality_capa_qa_review": CAPAS.form(),
    "web:quality_action_review": CAPAS.form(),
    "web:quality_cc_new": CHANGE_CONTROLS.form(),
    "web:quality_cc_approve": CHANGE_CONTROLS.form(),
    "web:quality_cc_link": CHANGE_CONTROLS.form(),
    "web:quality_deviation_new": DEVIATION_REPORTING,
    # A batch record lists everyone's work on the batch: whoever reads all executions.
    "web:quality_batches": EXECUTIONS.without_own(),
    "web:quality_batch": EXECUTIONS.without_own(),
    "api:capas": CAPAS,
    "api:deviations": DEVIATIONS,
    "api:change-controls": CHANGE_CONTROLS,
    "api:executions": EXECUTIONS,
    "api:batch-record": EXECUTIONS.without_own(),
    # The inspector's pages.
    "web:inspector_question": QUALIFICATIONS.without_own(),
    "web:inspector_transcript_find": RECORDS.without_own(),
    "web:inspector_transcript": RECORDS.without_own(),
    "web:inspector_document_status": INSPECTION,
    "web:inspector_audit": AUDIT_TRAIL,
    "web:inspector_verify": AUDIT_TRAIL,
    "web:inspector_verify_run": AUDIT_TRAIL,
    "api:audit-events": AUDIT_TRAIL,
    "api:checkpoints": AUDIT_TRAIL,
    # Webhooks.
    "api:webhook-subscriptions": WEBHOOKS,
    "api:webhook-deactivate": WEBHOOKS,
    "api:webhook-deliveries": WEBHOOKS,
    # Organisation set-up: pages and API (issue 11).
    "web:org_home": ORGANISATION,
    "web:org_sites": ORGANISATION,
    "web:org_site": ORGANISATION,
    "web:org_site_new": ORGANISATION.form(),
    "web:org_site_retire": ORGANISATION.form(),
    "web:org_departments": ORGANISATION,
    "web:org_department": ORGANISATION,
    "web:org_department_new": ORGANISATION.form(),
    "web:org_department_retire": ORGANISATION.form(),
    "web:org_clients": ORGANISATION,
    "web:org_client": ORGANISATION,
    "web:org_client_new": ORGANISATION.form(),
    "web:org_client_retire": ORGANISATION.form(),
    "web:org_frameworks": ORGANISATION,
    "web:org_framework": ORGANISATION,
    "web:org_framework_new": ORGANISATION.form(),
    "web:org_framework_retire": ORGANISATION.form(),
    "web:org_job_functions": JOB_FUNCTIONS,
    "web:org_job_function": JOB_FUNCTIONS,
    "web:org_job_function_new": JOB_FUNCTIONS.form(),
    "web:org_job_function_retire": JOB_FUNCTIONS.form(),
    "web:org_people": PEOPLE,
    "web:org_person": PEOPLE,
    "web:org_person_new": PEOPLE.form(),
    "web:org_person_job": PEOPLE.form(),
    "web:org_person_manager": PEOPLE.form(),
    "web:org_person_leave": PEOPLE.form(),
    "api:org-sites": ORGANISATION,
    "api:org-site": ORGANISATION,
    "api:org-site-retire": ORGANISATION,
    "api:org-departments": ORGANISATION,
    "api:org-department": ORGANISATION,
    "api:org-department-retire": ORGANISATION,
    "api:org-clients": ORGANISATION,
    "api:org-client": ORGANISATION,
    "api:org-client-retire": ORGANISATION,
    "api:org-frameworks": ORGANISATION,
    "api:org-framework": ORGANISATION,
    "api:org-framework-retire": ORGANISATION,
    "api:org-job-functions": JOB_FUNCTIONS,
    "api:org-job-function": JOB_FUNCTIONS,
    "api:org-job-function-retire": JOB_FUNCTIONS,
    "api:org-people": PEOPLE,
    "api:org-person-job-change": PEOPLE,
    "api:org-person-manager": PEOPLE,
    # Finding things (the header's search box).
    "web:search": SEARCH,
    # A lookup field's search (issue 18).
    "web:lookup": LOOKUP,
    # My work: the inbox page and the same list in the API.
    "web:work": MY_WORK,
    "api:me-work": MY_WORK,
    # Inspection reports: the list, each report's page and API, background exports.
    "web:reports": REPORT_LIST,
    "web:report_export": REPORT_LIST,
    "web:report_export_file": REPORT_LIST,
    "api:reports": REPORT_LIST,
    "api:report-export": REPORT_LIST,
    "api:report-export-file": REPORT_LIST,
    **{f"web:report-{name}": rule for name, rule in REPORT_RULES.items()},
    "web:content_launch": ELEARNING,
    "web:content_commit": ELEARNING,
    "web:content_sign": ELEARNING,
    "web:content_status": ELEARNING,
    "web:content_file": PACKAGE_FILES,
    "web:content_cmi5_fetch": XAPI,
    "web:content_xapi_about": PUBLIC,
    "web:content_xapi_statements": XAPI,
    "web:content_xapi_state": XAPI,
    "web:content_xapi_activity_profile": XAPI,
    "web:content_xapi_agent_profile": XAPI,
    # Authoring light (issue 15): document control builds courses, downloads their
    # packages and publishes them as package document versions.
    "web:content_courses": DOCUMENT_AUTHORING,
    "web:content_course": DOCUMENT_AUTHORING,
    "web:content_course_page_add": DOCUMENT_AUTHORING,
    "web:content_course_export": DOCUMENT_AUTHORING,
    "web:content_course_publish": DOCUMENT_AUTHORING,
    "web:content_course_page": DOCUMENT_AUTHORING,
    "web:content_course_page_image": DOCUMENT_AUTHORING,
    "web:content_course_page_remove": DOCUMENT_AUTHORING,
    "web:content_course_page_move": DOCUMENT_AUTHORING,
    # Issue 15: packages and attempts for integrations (read-only), the cmi5 waiver.
    "api:content-packages": ELEARNING_PACKAGES,
    "api:content-package": ELEARNING_PACKAGES,
    "api:content-attempts": ELEARNING_ATTEMPTS,
    "api:content-attempt": ELEARNING_ATTEMPTS,
    "web:content_waivers": ELEARNING_WAIVER,
    "web:content_attempt_waive": ELEARNING_WAIVER,
    "api:content-courses": COURSE_AUTHORING,
    "api:content-course": COURSE_AUTHORING,
    "api:content-course-pages": COURSE_AUTHORING,
    "api:content-course-export": COURSE_AUTHORING,
    "api:content-course-publish": COURSE_AUTHORING,
    # Assessments (L1, L2): pages.
    "web:assessment_attempts": MY_ASSESSMENTS,
    "web:assessment_take": MY_ASSESSMENTS,
    "web:assessment_attempt": MY_ASSESSMENTS,
    "web:assessment_attempt_sign": MY_ASSESSMENTS,
    "web:assessment_banks": QUESTION_BANKS,
    "web:assessment_bank": QUESTION_BANKS,
    "web:assessment_bank_export": QUESTION_BANKS,
    "web:assessment_statistics": ASSESSMENT_DEFINITIONS,
    "web:assessment_definitions": ASSESSMENT_DEFINITIONS,
    "web:assessment_define": ASSESSMENT_DEFINITIONS.form(),
    "web:assessment_edit": ASSESSMENT_DEFINITIONS.form(),
    "web:assessment_reviews": ASSESSMENT_REVIEW,
    "web:assessment_review": ASSESSMENT_REVIEW,
    # Assessments: the API.
    "api:assessments": ASSESSMENT_DEFINITIONS,
    "api:assessment": ASSESSMENT_DEFINITIONS,
    "api:assessment-attempt-start": MY_ASSESSMENTS,
    "api:my-attempts": MY_ASSESSMENTS,
    "api:assessment-attempt": MY_ASSESSMENTS,
    "api:assessment-attempt-submit": MY_ASSESSMENTS,
    "api:assessment-attempt-sign": MY_ASSESSMENTS,
    "api:assessment-bank-questions": QUESTION_BANKS,
    "api:assessment-bank-statistics": ASSESSMENT_DEFINITIONS,
    "web:audit_reviews": AUDIT_REVIEW,
    "web:audit_review": AUDIT_REVIEW,
    "api:audit-reviews": AUDIT_REVIEW,
    "api:audit-reviews-due": AUDIT_REVIEW,
    "api:audit-review": AUDIT_REVIEW,
    "api:audit-review-entries": AUDIT_REVIEW,
    "api:audit-review-findings": AUDIT_REVIEW.form(),
    "api:audit-review-sign": AUDIT_REVIEW.form(),
    "web:validation_runs": VALIDATION_RUNS,
    "web:validation_run": VALIDATION_RUNS,
    **{f"api:report-{name}": rule for name, rule in REPORT_RULES.items()},
}

UNDECLARED = Rule("this page (no access rule is declared for it)", read_scope=None)


def rule_for(view_name: str | None, kwargs: dict[str, Any] | None = None) -> Rule:
    """The declared rule of a URL name; a URL with none is refused to everyone."""
    rule = POLICY.get(view_name or "", UNDECLARED)
    return rule.for_kwargs(kwargs or {})


def audit_forbidden_write(request: Any, *, why: str) -> int | None:
    """A5: a write (POST, PUT, PATCH, DELETE) refused with 403 for lack of role or
    permission is an audit event naming the actor, path, method and why; reads are
    not audited. Written in a durable transaction of its own, so it outlives the
    refusal. Returns the event's sequence number, or None when nothing is due."""
    user = getattr(request, "user", None)
    method = request.method.upper()
    if method in READ_METHODS or not getattr(user, "is_authenticated", False):
        return None
    match = getattr(request, "resolver_match", None)
    view_name = match.view_name if match else None
    rule = rule_for(view_name, match.kwargs if match else None)
    if not rule.gxp or (rule.post_reads and method == "POST"):
        return None
    from qualify.audit.services import record_refusal

    return record_refusal(
        "access.denied",
        actor=user,
        why=why,
        detail={"path": request.path, "method": method, "view": view_name or ""},
    )
