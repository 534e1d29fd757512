"""cmi5 (issue 15, point 3): launching an AU, the one-time auth token, the statements
the LMS writes (launched, satisfied, waived, abandoned), the rules the LMS applies to
the AU's statements, and each AU's moveOn deciding completion.

A small xAPI statement store lives here too (`statements_store`), because no embedded
Python LRS fits the stack (see the module docstring of qualify.web.content.xapi).

Rules applied to an AU's statements (cmi5 9.3, 10), refused with 403 and nothing
stored: the actor must be the learner the AU was launched for and the registration
the learner's attempt; nothing before "initialized" or after "terminated" in the
session; "passed" with a score below the AU's mastery score; "completed" or
"passed"/"failed" twice in the registration; no statement by the AU that only the LMS
writes (launched, satisfied, waived, abandoned).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
import uuid
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from qualify.audit import services as audit
from qualify.content.manifest import Item
from qualify.content.models import (
    Attempt,
    AttemptStatus,
    Cmi5Session,
    DocumentKind,
    Statement,
    XapiDocument,
)
from qualify.org.scoping import check_client

ADL = "http://adlnet.gov/expapi/verbs/"
LAUNCHED = ADL + "launched"
INITIALIZED = ADL + "initialized"
COMPLETED = ADL + "completed"
PASSED = ADL + "passed"
FAILED = ADL + "failed"
TERMINATED = ADL + "terminated"
ABANDONED = "https://w3id.org/xapi/adl/verbs/abandoned"
WAIVED = "https://w3id.org/xapi/adl/verbs/waived"
SATISFIED = "https://w3id.org/xapi/adl/verbs/satisfied"
VOIDED = ADL + "voided"
LMS_ONLY = {LAUNCHED, ABANDONED, WAIVED, SATISFIED}
DEFINED = {INITIALIZED, COMPLETED, PASSED, FAILED, TERMINATED}
CMI5_CATEGORY = "https://w3id.org/xapi/cmi5/context/categories/cmi5"
SESSION_EXT = "https://w3id.org/xapi/cmi5/context/extensions/sessionid"
MASTERY_EXT = "https://w3id.org/xapi/cmi5/context/extensions/masteryscore"
MOVEON_CATEGORY = "https://w3id.org/xapi/cmi5/context/categories/moveon"


class XapiError(Exception):
    """Refused with this HTTP status (400, 403, 404, 409, 412)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


# --- agents ----------------------------------------------------------------------------


def agent_of(person) -> dict:
    home = getattr(settings, "QUALIFY_BASE_URL", "http://localhost:8000")
    return {
        "objectType": "Agent",
        "name": person.full_name,
        "account": {"homePage": home, "name": person.employee_number},
    }


def agent_key(agent: Any) -> str:
    """One string per xAPI inverse functional identifier (xAPI 1.0.3, 2.4.2.1)."""
    if not isinstance(agent, dict):
        raise XapiError(400, "An agent must be a JSON object.")
    ifis = [k for k in ("mbox", "mbox_sha1sum", "openid", "account") if k in agent]
    if len(ifis) != 1:
        raise XapiError(400, "An agent has exactly one inverse functional identifier.")
    kind = ifis[0]
    value = agent[kind]
    if kind == "account":
        if not isinstance(value, dict) or not value.get("homePage") or not value.get("name"):
            raise XapiError(400, "An account needs homePage and name.")
        return f"account:{value['homePage']}|{value['name']}"
    if kind == "mbox" and not str(value).startswith("mailto:"):
        raise XapiError(400, "mbox must be a mailto: IRI.")
    return f"{kind}:{value}"


def _activity_iri(attempt: Attempt, item: Item) -> str:
    return item.identifier


# --- launch and token -----------------------------------------------------------------


def _lms_statement(
    session: Cmi5Session,
    verb: str,
    display: str,
    *,
    obj_id: str,
    result=None,
    extra_ext: dict | None = None,
    category: list | None = None,
) -> Statement:
    attempt = session.attempt
    now = timezone.now()
    body = {
        "id": str(uuid.uuid4()),
        "actor": agent_of(attempt.person),
        "verb": {"id": verb, "display": {"en-US": display}},
        "object": {"objectType": "Activity", "id": obj_id},
        "context": {
            "registration": str(attempt.registration),
            "contextActivities": {
                "category": [{"id": CMI5_CATEGORY}, *(category or [])],
            },
            "extensions": {SESSION_EXT: str(session.session_id), **(extra_ext or {})},
        },
        "timestamp": now.isoformat(),
    }
    if result is not None:
        body["result"] = result
    return _store(body, attempt=attempt, now=now)


def launch(
    *, actor: Any, attempt: Attempt, item: Item, fetch_base: str, endpoint: str, launch_base: str
) -> tuple[Cmi5Session, str]:
    """Launch `item` for the attempt's learner: abandon their session of this AU left
    open, write "launched" and the LMS.LaunchData state, and answer the launch URL."""
    if attempt.person.user_id != getattr(actor, "pk", None):
        raise PermissionDenied("Only the learner launches their AU.")
    with transaction.atomic():
        attempt = (
            Attempt.objects.select_for_update()
            .select_related("person", "package")
            .get(pk=attempt.pk)
        )
        now = timezone.now()
        for left in Cmi5Session.objects.filter(
            attempt=attempt,
            au=item.identifier,
            terminated_at__isnull=True,
            abandoned_at__isnull=True,
        ):
            if left.initialized_at is not None:
                left.abandoned_at = now
                left.save(update_fields=["abandoned_at"])
                _lms_statement(left, ABANDONED, "abandoned", obj_id=item.identifier)
            else:
                left.abandoned_at = now
                left.save(update_fields=["abandoned_at"])
        session = Cmi5Session.objects.create(
            attempt=attempt,
            au=item.identifier,
            fetch_key=secrets.token_urlsafe(24),
            launched_at=now,
        )
        _lms_statement(
            session,
            LAUNCHED,
            "launched",
            obj_id=item.identifier,
            extra_ext={
                "https://w3id.org/xapi/cmi5/context/extensions/launchmode": "Normal",
                "https://w3id.org/xapi/cmi5/context/extensions/moveon": item.move_on,
            },
        )
        launch_data = {
            "contextTemplate": {
                "contextActivities": {
                    "grouping": [{"id": attempt.package.manifest.get("identifier", "")}]
                },
                "extensions": {SESSION_EXT: str(session.session_id)},
            },
            "launchMode": "Normal",
            "moveOn": item.move_on,
        }
        if item.mastery_score is not None:
            launch_data["masteryScore"] = float(item.mastery_score)
        if item.launch_data:
            launch_data["launchParameters"] = item.launch_data
        _put_document(
            DocumentKind.STATE,
            activity_id=item.identifier,
            agent=agent_key(agent_of(attempt.person)),
            registration=str(attempt.registration),
            document_id="LMS.LaunchData",
            content=json.dumps(launch_data).encode(),
            content_type="application/json",
            attempt=attempt,
        )
        audit.record(
            "content.cmi5.launched",
            attempt,
            actor=actor,
            detail={"au": item.identifier, "session": str(session.session_id)},
        )
    parts = urlsplit(item.href if urlsplit(item.href).scheme else launch_base + item.href)
    query = [
        *parse_qsl(parts.query, keep_blank_values=True),
        ("endpoint", endpoint),
        ("fetch", fetch_base + session.fetch_key + "/"),
        ("registration", str(attempt.registration)),
        ("activityId", item.identifier),
        ("actor", json.dumps(agent_of(attempt.person), separators=(",", ":"))),
    ]
    return session, urlunsplit(parts._replace(query=urlencode(query)))


def fetch_token(fetch_key: str) -> tuple[int, dict]:
    """cmi5 8.2: the auth token, once. A second fetch answers error-code 1."""
    with transaction.atomic():
        session = Cmi5Session.objects.select_for_update().filter(fetch_key=fetch_key).first()
        if session is None:
            return 404, {"error-code": "2", "error-text": "Unknown fetch URL."}
        if session.fetched_at is not None or session.abandoned_at is not None:
            return 200, {"error-code": "1", "error-text": "The auth token was already fetched."}
        token = secrets.token_urlsafe(32)
        session.token_sha256 = hashlib.sha256(token.encode()).hexdigest()
        session.fetched_at = timezone.now()
        session.save(update_fields=["token_sha256", "fetched_at"])
    return 200, {"auth-token": token}


def session_for(authorization: str) -> Cmi5Session | None:
    """The session whose token the Authorization header carries ("Basic <token>")."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "basic" or not token.strip():
        return None
    digest = hashlib.sha256(token.strip().encode()).hexdigest()
    return (
        Cmi5Session.objects.select_related("attempt__person", "attempt__package")
        .filter(token_sha256=digest, abandoned_at__isnull=True)
        .first()
    )


# --- statements -----------------------------------------------------------------------


def _store(body: dict, *, attempt: Attempt | None, now) -> Statement:
    body = dict(body)
    body.setdefault("timestamp", now.isoformat())
    body["stored"] = now.isoformat()
    body.setdefault("version", "1.0.0")
    body["authority"] = {
        "objectType": "Agent",
        "name": "Qualify",
        "account": {
            "homePage": getattr(settings, "QUALIFY_BASE_URL", "http://localhost:8000"),
            "name": "qualify-lrs",
        },
    }
    obj = body.get("object") or {}
    voids = None
    if body["verb"]["id"] == VOIDED:
        voids = uuid.UUID(str(obj.get("id")))
    registration = (body.get("context") or {}).get("registration")
    return Statement.objects.create(
        statement_id=uuid.UUID(str(body["id"])),
        attempt=attempt,
        registration=uuid.UUID(registration) if registration else None,
        agent_key=agent_key(body["actor"]),
        verb=body["verb"]["id"],
        activity_id=str(obj.get("id", ""))
        if obj.get("objectType", "Activity") == "Activity"
        else "",
        voids=voids,
        body=body,
        stored=now,
    )


def _check_shape(statement: Any) -> dict:
    if not isinstance(statement, dict):
        raise XapiError(400, "A statement must be a JSON object.")
    for key in ("actor", "verb", "object"):
        if key not in statement:
            raise XapiError(400, f"A statement needs {key}.")
    if not isinstance(statement["verb"], dict) or not statement["verb"].get("id"):
        raise XapiError(400, "A statement's verb needs an id.")
    for key in ("stored", "authority"):
        if key in statement and key == "stored":
            statement = {k: v for k, v in statement.items() if k != "stored"}
    if "id" in statement:
        try:
            statement["id"] = str(uuid.UUID(str(statement["id"])))
        except ValueError:
            raise XapiError(400, "A statement id must be a UUID.") from None
    else:
        statement = {**statement, "id": str(uuid.uuid4())}
    agent_key(statement["actor"])
    return statement


def _mastery(session: Cmi5Session) -> Decimal | None:
    for item in session.attempt.package.manifest.get("items", []):
        if item["identifier"] == session.au and item.get("mastery_score") is not None:
            return Decimal(item["mastery_score"])
    return None


def _check_cmi5(session: Cmi5Session, statement: dict, earlier: list[dict]) -> None:
    """cmi5's rules for a statement the AU sends in this session."""
    attempt = session.attempt
    if agent_key(statement["actor"]) != agent_key(agent_of(attempt.person)):
        raise XapiError(403, "The statement's actor is not the learner this AU was launched for.")
    registration = (statement.get("context") or {}).get("registration")
    if registration != str(attempt.registration):
        raise XapiError(403, "The statement's registration is not the learner's registration.")
    verb = statement["verb"]["id"]
    if verb in LMS_ONLY:
        raise XapiError(403, f"Only the LMS writes {verb.rsplit('/', 1)[-1]} statements.")
    if session.terminated_at is not None:
        raise XapiError(403, "The session is terminated; no more statements are accepted.")
    verbs_now = [s["verb"]["id"] for s in earlier]
    initialized = session.initialized_at is not None or INITIALIZED in verbs_now
    if verb != INITIALIZED and not initialized and verb != VOIDED:
        raise XapiError(403, "The AU must send initialized first.")
    if verb in DEFINED and statement.get("object", {}).get("id") != session.au:
        raise XapiError(403, "A cmi5 defined statement's object must be the AU.")
    if verb in (COMPLETED, PASSED, FAILED):
        previous = set(
            Statement.objects.filter(
                registration=attempt.registration, activity_id=session.au
            ).values_list("verb", flat=True)
        ) | set(verbs_now)
        if verb == COMPLETED and COMPLETED in previous:
            raise XapiError(403, "The AU was already completed in this registration.")
        if verb in (PASSED, FAILED) and PASSED in previous:
            raise XapiError(403, "The AU was already passed in this registration.")
    if verb == PASSED:
        mastery = _mastery(session)
        scaled = ((statement.get("result") or {}).get("score") or {}).get("scaled")
        if mastery is not None and (scaled is None or Decimal(str(scaled)) < mastery):
            raise XapiError(403, "passed with a score below the AU's mastery score.")


def statements_store(
    *, session: Cmi5Session, statements: list[Any], statement_id: str | None = None
) -> list[str]:
    """Store the AU's statements (all or none). Answers their ids. A statement with an
    id already stored and the same content is accepted again without a second copy; a
    different one with that id is a conflict (409). A batch refused by the cmi5 rules
    (403: another actor, another registration…) is audited after its rollback (A5)."""
    try:
        return _store_batch(session=session, statements=statements, statement_id=statement_id)
    except XapiError as error:
        if error.status == 403:
            attempt = session.attempt
            audit.record_refusal(
                "content.xapi.refused",
                actor=attempt.person.user,
                why=str(error),
                obj=attempt,
                detail={"session": str(session.session_id), "au": session.au},
            )
        raise


def _store_batch(
    *, session: Cmi5Session, statements: list[Any], statement_id: str | None
) -> list[str]:
    with transaction.atomic():
        session = (
            Cmi5Session.objects.select_for_update()
            .select_related("attempt__person", "attempt__package")
            .get(pk=session.pk)
        )
        checked: list[dict] = []
        for raw in statements:
            statement = _check_shape(raw)
            if statement_id is not None:
                if "id" in raw and str(raw["id"]) != statement_id:
                    raise XapiError(400, "The statementId parameter and the statement's id differ.")
                statement["id"] = statement_id
            checked.append(statement)
        ids = [s["id"] for s in checked]
        if len(set(ids)) != len(ids):
            raise XapiError(400, "Two statements in the batch have the same id.")
        fresh = []
        for statement in checked:
            existing = Statement.objects.filter(statement_id=statement["id"]).first()
            if existing is not None:
                mine = {
                    k: v
                    for k, v in existing.body.items()
                    if k not in ("stored", "authority", "version")
                }
                theirs = {
                    k: v
                    for k, v in statement.items()
                    if k not in ("stored", "authority", "version")
                }
                mine.setdefault("timestamp", None)
                if theirs.get("timestamp") is None:
                    theirs["timestamp"] = mine["timestamp"]
                if mine != theirs:
                    raise XapiError(
                        409, f"A different statement {statement['id']} is already stored."
                    )
                continue
            _check_cmi5(session, statement, fresh)
            if statement["verb"]["id"] == VOIDED:
                target = statement.get("object") or {}
                if target.get("objectType") != "StatementRef" or not target.get("id"):
                    raise XapiError(400, "A voiding statement's object is a StatementRef.")
                voided = Statement.objects.filter(statement_id=target["id"]).first()
                if voided is None or voided.verb == VOIDED:
                    raise XapiError(
                        400, "A voiding statement must name a stored, non-voiding statement."
                    )
                if voided.attempt_id != session.attempt_id:
                    raise XapiError(403, "Only the learner's own statements can be voided.")
            fresh.append(statement)
        now = timezone.now()
        for statement in fresh:
            _store(statement, attempt=session.attempt, now=now)
            verb = statement["verb"]["id"]
            if verb == INITIALIZED and session.initialized_at is None:
                session.initialized_at = now
            elif verb == TERMINATED:
                session.terminated_at = now
        session.save(update_fields=["initialized_at", "terminated_at"])
        _judge(session, now=now)
    return ids


WAIVE_REASONS = ("Tested Out", "Equivalent AU", "Equivalent Outside Activity", "Administrative")


def waive(*, actor: Any, attempt: Attempt, au: str, reason: str, justification: str) -> None:
    """The LMS waives an AU of a learner's attempt (cmi5 9.3.8, 10.2): a "waived"
    statement with cmi5's reason, which counts as satisfied for moveOn. A training
    coordinator of the attempt's client does it, with a written justification kept as
    the audit event's reason (A1); a refusal for lack of the role is audited (A5)."""
    if actor is None or not actor.has_perm("training.assign_training"):
        why = "Only a training coordinator can waive an AU."
        audit.record_refusal(
            "content.cmi5.waive_refused", actor=actor, why=why, obj=attempt, detail={"au": au}
        )
        raise PermissionDenied(why)
    if reason not in WAIVE_REASONS:
        raise ValidationError(
            {"reason": f"The reason must be one of cmi5's: {', '.join(WAIVE_REASONS)}."}
        )
    justification = (justification or "").strip()
    if not justification:
        raise ValidationError(
            {
                "justification": "Say why this AU is waived for this learner "
                "(kept in the audit trail)."
            }
        )
    with transaction.atomic():
        attempt = (
            Attempt.objects.select_for_update()
            .select_related("package__version__document", "person")
            .get(pk=attempt.pk)
        )
        check_client(actor, attempt.package.version.document.client_id)
        if attempt.package.kind != "cmi5":
            raise ValidationError("Only an AU of a cmi5 package can be waived.")
        if attempt.status != AttemptStatus.OPEN:
            raise ValidationError(
                f"This attempt is {attempt.get_status_display().lower()}; nothing can be waived."
            )
        items = {i["identifier"]: i for i in attempt.package.manifest.get("items", [])}
        if au not in items:
            raise ValidationError({"au": f"The package has no AU {au!r}."})
        voided = _voided_ids(attempt)
        verbs = {
            s.verb
            for s in attempt.statements.filter(activity_id=au)
            if str(s.statement_id) not in voided
        }
        if WAIVED in verbs:
            raise ValidationError({"au": "This AU is already waived."})
        if au_satisfied(items[au].get("move_on") or "NotApplicable", verbs):
            raise ValidationError(
                {"au": "This AU is already satisfied; there is nothing to waive."}
            )
        now = timezone.now()
        session = Cmi5Session.objects.create(
            attempt=attempt,
            au=au,
            fetch_key=secrets.token_urlsafe(24),
            launched_at=now,
            terminated_at=now,
        )
        _lms_statement(
            session,
            WAIVED,
            "waived",
            obj_id=au,
            result={
                "success": True,
                "completion": True,
                "extensions": {"https://w3id.org/xapi/cmi5/result/extensions/reason": reason},
            },
            category=[{"id": MOVEON_CATEGORY}],
        )
        audit.record(
            "content.cmi5.waived",
            attempt,
            actor=actor,
            reason=justification,
            detail={"au": au, "cmi5_reason": reason, "person": attempt.person.employee_number},
        )
        _judge(session, now=now)


def _voided_ids(attempt: Attempt) -> set[str]:
    return {
        str(v)
        for v in Statement.objects.filter(attempt=attempt, verb=VOIDED).values_list(
            "voids", flat=True
        )
    }


def au_satisfied(move_on: str, verbs: set[str]) -> bool:
    """cmi5 moveOn (10.2) from the verbs recorded for the AU in the registration."""
    if WAIVED in verbs or move_on == "NotApplicable":
        return True
    completed, passed = COMPLETED in verbs, PASSED in verbs
    return {
        "Completed": completed,
        "Passed": passed,
        "CompletedAndPassed": completed and passed,
        "CompletedOrPassed": completed or passed,
    }.get(move_on, False)


def _judge(session: Cmi5Session, *, now) -> None:
    """After the AU's statements: write "satisfied" for each AU and the course whose
    moveOn is met, and complete the attempt when the course is."""
    from qualify.content.services import _complete

    attempt = Attempt.objects.select_for_update().get(pk=session.attempt_id)
    voided = _voided_ids(attempt)
    rows = [s for s in attempt.statements.all() if str(s.statement_id) not in voided]
    items = attempt.package.manifest.get("items", [])
    done = True
    scores = []
    satisfied_now = {s.activity_id for s in rows if s.verb == SATISFIED}
    for item in items:
        verbs = {s.verb for s in rows if s.activity_id == item["identifier"]}
        ok = au_satisfied(item.get("move_on") or "NotApplicable", verbs)
        for s in rows:
            if s.activity_id == item["identifier"] and s.verb in (PASSED, FAILED):
                scaled = ((s.body.get("result") or {}).get("score") or {}).get("scaled")
                if scaled is not None and s.verb == PASSED:
                    scores.append(Decimal(str(scaled)))
        if ok and item["identifier"] not in satisfied_now:
            _lms_statement(
                session,
                SATISFIED,
                "satisfied",
                obj_id=item["identifier"],
                category=[{"id": MOVEON_CATEGORY}],
            )
        done = done and ok
    course = attempt.package.manifest.get("identifier", "")
    if done and attempt.status == AttemptStatus.OPEN:
        if course and course not in satisfied_now:
            _lms_statement(
                session, SATISFIED, "satisfied", obj_id=course, category=[{"id": MOVEON_CATEGORY}]
            )
        seconds = 0
        for s in rows:
            duration = (s.body.get("result") or {}).get("duration")
            if s.verb == TERMINATED and duration:
                from qualify.content.runtime import seconds_2004

                seconds += round(seconds_2004(duration) or 0)
        _complete(attempt, actor=attempt.person.user, now=now, scores=scores, seconds=seconds)


# --- statement queries ----------------------------------------------------------------


def statement_out(row: Statement) -> dict:
    return row.body


def statements_query(*, session: Cmi5Session, params: dict) -> tuple[list[dict], str]:
    """GET /statements (xAPI 1.0.3, part 3, 2.1.3) within the learner's registration."""
    attempt = session.attempt
    rows = Statement.objects.filter(attempt=attempt)
    if "statementId" in params or "voidedStatementId" in params:
        key = params.get("statementId") or params.get("voidedStatementId")
        try:
            wanted = uuid.UUID(key)
        except ValueError:
            raise XapiError(400, "statementId must be a UUID.") from None
        if set(params) - {"statementId", "voidedStatementId", "format", "attachments"}:
            raise XapiError(400, "statementId cannot be combined with other filters.")
        row = rows.filter(statement_id=wanted).first()
        is_voided = row is not None and rows.filter(voids=wanted).exists()
        if (
            row is None
            or ("statementId" in params and is_voided)
            or ("voidedStatementId" in params and not is_voided)
        ):
            raise XapiError(404, "No such statement.")
        return [statement_out(row)], ""
    voided = Statement.objects.filter(attempt=attempt, verb=VOIDED).values_list("voids", flat=True)
    rows = rows.exclude(statement_id__in=list(voided))
    if "agent" in params:
        try:
            rows = rows.filter(agent_key=agent_key(json.loads(params["agent"])))
        except ValueError:
            raise XapiError(400, "agent must be JSON.") from None
    if "verb" in params:
        rows = rows.filter(verb=params["verb"])
    if "activity" in params:
        rows = rows.filter(activity_id=params["activity"])
    if "registration" in params:
        try:
            rows = rows.filter(registration=uuid.UUID(params["registration"]))
        except ValueError:
            raise XapiError(400, "registration must be a UUID.") from None
    for name, op in (("since", "stored__gt"), ("until", "stored__lte")):
        if name in params:
            try:
                when = dt.datetime.fromisoformat(params[name].replace("Z", "+00:00"))
            except ValueError:
                raise XapiError(400, f"{name} must be an ISO 8601 time.") from None
            rows = rows.filter(**{op: when})
    ascending = params.get("ascending") == "true"
    rows = rows.order_by(*(["stored", "pk"] if ascending else ["-stored", "-pk"]))
    try:
        limit = int(params.get("limit") or 0)
    except ValueError:
        raise XapiError(400, "limit must be a whole number.") from None
    limit = min(limit, 500) if limit > 0 else 500
    return [statement_out(r) for r in rows[:limit]], ""


# --- documents (state, activity profile, agent profile) ---------------------------------


def _put_document(
    kind: str,
    *,
    activity_id: str = "",
    agent: str = "",
    registration: str = "",
    document_id: str,
    content: bytes,
    content_type: str,
    attempt: Attempt | None,
    merge: bool = False,
) -> XapiDocument:
    now = timezone.now()
    existing = (
        _documents(kind, activity_id=activity_id, agent=agent, registration=registration)
        .filter(document_id=document_id)
        .first()
    )
    if merge and existing is not None:
        if not (
            existing.content_type.startswith("application/json")
            and content_type.startswith("application/json")
        ):
            raise XapiError(400, "Only JSON documents are merged by POST.")
        try:
            old, new = json.loads(bytes(existing.content)), json.loads(content)
        except ValueError:
            raise XapiError(400, "The document is not valid JSON.") from None
        if not isinstance(old, dict) or not isinstance(new, dict):
            raise XapiError(400, "Only JSON objects are merged by POST.")
        content = json.dumps({**old, **new}).encode()
    etag = hashlib.sha1(content).hexdigest()
    if existing is None:
        existing = XapiDocument(
            kind=kind,
            activity_id=activity_id,
            agent_key=agent,
            registration=registration,
            document_id=document_id,
            attempt=attempt,
        )
    existing.content = content
    existing.content_type = content_type
    existing.etag = etag
    existing.updated = now
    existing.save()
    return existing


def _documents(kind: str, *, activity_id: str = "", agent: str = "", registration: str = ""):
    return XapiDocument.objects.filter(
        kind=kind, activity_id=activity_id, agent_key=agent, registration=registration
    )


def launch_url(request, *, attempt: Attempt, item: Item) -> str:
    """The AU's launch URL for the player page (the AU's files come from our origin)."""
    fetch_base = request.build_absolute_uri(reverse("web:content_cmi5_fetch", args=["x"]))[:-2]
    endpoint = request.build_absolute_uri(reverse("web:content_xapi_about"))[: -len("about")]
    launch_base = request.build_absolute_uri(
        reverse("web:content_file", args=[attempt.package.version_id, "x"])
    )[:-1]
    _, url = launch(
        actor=request.user,
        attempt=attempt,
        item=item,
        fetch_base=fetch_base,
        endpoint=endpoint,
        launch_base=launch_base,
    )
    return url
