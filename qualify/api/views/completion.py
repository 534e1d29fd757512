"""Every completion method through the API (issue 14): external certificates (submit,
verify, reject, sign), classroom sessions (schedule, enrol, withdraw, signing window,
attendance on one's own device, closing) and the e-learning reading. Each operation
is an input serializer calling one service; reads go through the training queries.

Signatures: the signed-in caller (a session; a service account never signs) signs
with their password in the body, or with the ticket of a re-authentication at the
identity provider for exactly that signature (qualify.api.signing, issue 16). The kiosk
in the room is a page (web:kiosk), not an API: it takes user ids and passwords from
whoever stands at it, which an API client never should.
"""

from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from qualify.api.base import ApiView, ListView
from qualify.api.fields import AwareDateTimeField
from qualify.api.signing import SignatureIn, credentials
from qualify.api.views.training import RecordOut
from qualify.org.models import Person
from qualify.org.queries import people as people_query
from qualify.signatures.services import Credentials
from qualify.training import queries as training_queries
from qualify.training import queries_completion as queries
from qualify.training import services as training
from qualify.training.delta import delta_from_for
from qualify.training.models import ClassSession, Enrolment, ExternalCertificate
from qualify.training.services import elearning
from qualify.training.services import sessions as session_rules


def _credentials(request, password: str) -> Credentials:
    return Credentials(username=request.user.username, password=password, session=None)


def _person(request, employee_number: str | None):
    if not employee_number:
        person = Person.objects.filter(user_id=request.user.pk).first()
        if person is None:
            raise serializers.ValidationError({"person": "You have no person record."})
        return person
    person = people_query(request.user).filter(employee_number=employee_number).first()
    if person is None:
        raise serializers.ValidationError({"person": "No such person."})
    return person


class PasswordIn(serializers.Serializer):
    password = serializers.CharField(write_only=True, max_length=4096, help_text="Your password.")


# --- external certificates ----------------------------------------------------------------


class CertificateOut(serializers.ModelSerializer):
    person = serializers.CharField(source="person.employee_number")
    requirement = serializers.CharField(source="requirement.code")
    submitted_by = serializers.CharField(source="submitted_by.username")
    decided_by = serializers.CharField(source="decided_by.username", allow_null=True, default=None)

    class Meta:
        model = ExternalCertificate
        fields = [
            "id",
            "person",
            "requirement",
            "issuer",
            "course",
            "certificate_number",
            "completed_at",
            "valid_until",
            "content_type",
            "sha256",
            "status",
            "submitted_at",
            "submitted_by",
            "decided_at",
            "decided_by",
            "decision_reason",
            "record",
        ]


class CertificateIn(serializers.Serializer):
    person = serializers.CharField(
        required=False, max_length=40, help_text="Employee number; yourself when absent."
    )
    requirement = serializers.CharField(max_length=60, help_text="External requirement code.")
    issuer = serializers.CharField(max_length=200)
    course = serializers.CharField(max_length=300, required=False, allow_blank=True)
    certificate_number = serializers.CharField(max_length=100, required=False, allow_blank=True)
    completed_at = AwareDateTimeField()
    valid_until = serializers.DateField(required=False, allow_null=True)
    file = serializers.FileField(help_text="The certificate: a PDF or an image.")


class CertificatesView(ListView):
    serializer_class = CertificateOut
    filterset_fields = ["status"]

    def get_queryset(self):
        return queries.certificates(self.request.user)

    @extend_schema(
        request={"multipart/form-data": CertificateIn},
        responses={201: CertificateOut},
        summary="Submit an external certificate for verification (multipart)",
    )
    def post(self, request):
        body = CertificateIn(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        requirement = (
            training_queries.requirements(request.user).filter(code=data["requirement"]).first()
        )
        if requirement is None:
            raise serializers.ValidationError({"requirement": "No such requirement."})
        certificate = training.certificate_submit(
            actor=request.user,
            person=_person(request, data.get("person")),
            requirement=requirement,
            issuer=data["issuer"],
            course=data.get("course", ""),
            certificate_number=data.get("certificate_number", ""),
            completed_at=data["completed_at"],
            valid_until=data.get("valid_until"),
            file=data["file"],
        )
        return Response(CertificateOut(certificate).data, status=status.HTTP_201_CREATED)


def _certificate(request, pk) -> ExternalCertificate:
    found = queries.certificates(request.user).filter(pk=pk).first()
    if found is None:
        raise NotFound("No such certificate.")
    return found


class CertificateVerifyView(ApiView):
    serializer_class = SignatureIn
    signs = "certificate_verified"

    def signed_object(self, request, pk: int):
        return _certificate(request, pk)

    @extend_schema(
        request=SignatureIn,
        responses={200: CertificateOut},
        summary="Verify a certificate, signing it 'verified': its training record is made",
    )
    def post(self, request, pk: int):
        certificate = _certificate(request, pk)
        body = SignatureIn(data=request.data)
        body.is_valid(raise_exception=True)
        verified = training.certificate_verify(
            actor=request.user,
            certificate=certificate,
            credentials=credentials(request, body.validated_data, certificate),
        )
        return Response(CertificateOut(verified).data)


class CompletionReasonIn(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class CertificateRejectView(ApiView):
    serializer_class = CompletionReasonIn

    @extend_schema(request=CompletionReasonIn, responses={200: CertificateOut}, summary="Reject")
    def post(self, request, pk: int):
        certificate = _certificate(request, pk)
        body = CompletionReasonIn(data=request.data)
        body.is_valid(raise_exception=True)
        rejected = training.certificate_reject(
            actor=request.user, certificate=certificate, reason=body.validated_data["reason"]
        )
        return Response(CertificateOut(rejected).data)


class CertificateSignView(ApiView):
    serializer_class = SignatureIn
    signs = "completed_training"

    def signed_object(self, request, pk: int):
        return _certificate(request, pk)

    @extend_schema(
        request=SignatureIn,
        responses={201: RecordOut},
        summary="The person signs the record of their verified certificate (completed training)",
    )
    def post(self, request, pk: int):
        certificate = _certificate(request, pk)
        body = SignatureIn(data=request.data)
        body.is_valid(raise_exception=True)
        record = training.certificate_sign(
            actor=request.user,
            certificate=certificate,
            credentials=credentials(request, body.validated_data, certificate),
        )
        return Response(RecordOut(record).data, status=status.HTTP_201_CREATED)


# --- classroom sessions ---------------------------------------------------------------------


class SessionOut(serializers.ModelSerializer):
    requirement = serializers.CharField(source="requirement.code")
    trainer = serializers.CharField(source="trainer.employee_number")
    seats_left = serializers.IntegerField(read_only=True)

    class Meta:
        model = ClassSession
        fields = [
            "id",
            "requirement",
            "trainer",
            "room",
            "starts_at",
            "ends_at",
            "capacity",
            "seats_taken",
            "seats_left",
            "status",
            "closed_at",
        ]


class SessionIn(serializers.Serializer):
    requirement = serializers.CharField(max_length=60, help_text="Classroom requirement code.")
    room = serializers.CharField(max_length=120)
    starts_at = AwareDateTimeField()
    ends_at = AwareDateTimeField()
    capacity = serializers.IntegerField(min_value=1, max_value=session_rules.MAX_CAPACITY)
    notes = serializers.CharField(max_length=4000, required=False, allow_blank=True)


class SessionsView(ListView):
    serializer_class = SessionOut
    filterset_fields = ["status", "room"]

    def get_queryset(self):
        return queries.sessions(self.request.user)

    @extend_schema(request=SessionIn, responses={201: SessionOut}, summary="Schedule a session")
    def post(self, request):
        body = SessionIn(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        requirement = (
            training_queries.requirements(request.user).filter(code=data.pop("requirement")).first()
        )
        if requirement is None:
            raise serializers.ValidationError({"requirement": "No such requirement."})
        session = training.session_schedule(actor=request.user, requirement=requirement, **data)
        return Response(SessionOut(session).data, status=status.HTTP_201_CREATED)


def _session(request, pk) -> ClassSession:
    found = queries.sessions(request.user).filter(pk=pk).first()
    if found is None:
        raise NotFound("No such session.")
    return found


class EnrolmentOut(serializers.ModelSerializer):
    person = serializers.CharField(source="person.employee_number")

    class Meta:
        model = Enrolment
        fields = ["id", "session", "person", "status", "enrolled_at", "record", "signed_at"]


class EnrolIn(serializers.Serializer):
    person = serializers.CharField(
        required=False, max_length=40, help_text="Employee number; yourself when absent."
    )


class SessionEnrolView(ApiView):
    serializer_class = EnrolIn

    @extend_schema(
        request=EnrolIn,
        responses={201: EnrolmentOut},
        summary="Enrol yourself (or, for a trainer or coordinator, someone) within capacity",
    )
    def post(self, request, pk: int):
        session = _session(request, pk)
        body = EnrolIn(data=request.data)
        body.is_valid(raise_exception=True)
        enrolment = training.session_enrol(
            actor=request.user,
            session=session,
            person=_person(request, body.validated_data.get("person")),
        )
        return Response(EnrolmentOut(enrolment).data, status=status.HTTP_201_CREATED)


class UnenrolIn(EnrolIn):
    reason = serializers.CharField(max_length=2000)


class SessionUnenrolView(ApiView):
    serializer_class = UnenrolIn

    @extend_schema(request=UnenrolIn, responses={200: EnrolmentOut}, summary="Withdraw")
    def post(self, request, pk: int):
        session = _session(request, pk)
        body = UnenrolIn(data=request.data)
        body.is_valid(raise_exception=True)
        person = _person(request, body.validated_data.get("person"))
        enrolment = queries.enrolment_of(person, session)
        if enrolment is None:
            raise serializers.ValidationError({"person": "Not enrolled in this session."})
        withdrawn = training.session_unenrol(
            actor=request.user, enrolment=enrolment, reason=body.validated_data["reason"]
        )
        return Response(EnrolmentOut(withdrawn).data)


class WindowIn(serializers.Serializer):
    minutes = serializers.IntegerField(
        required=False,
        default=session_rules.DEFAULT_WINDOW_MINUTES,
        min_value=session_rules.WINDOW_MINUTES[0],
        max_value=session_rules.WINDOW_MINUTES[1],
    )


class WindowOut(serializers.Serializer):
    id = serializers.IntegerField()
    room = serializers.CharField()
    opened_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    token = serializers.CharField(help_text="Shown once: only its SHA-256 is kept.")
    kiosk_url = serializers.CharField()


class SessionWindowView(ApiView):
    serializer_class = WindowIn

    @extend_schema(
        request=WindowIn,
        responses={201: WindowOut},
        summary="Open a signing window for the session's kiosk (the session's trainer)",
    )
    def post(self, request, pk: int):
        session = _session(request, pk)
        body = WindowIn(data=request.data)
        body.is_valid(raise_exception=True)
        window, token = training.window_open(
            actor=request.user, session=session, minutes=body.validated_data["minutes"]
        )
        out = {
            "id": window.pk,
            "room": window.room,
            "opened_at": window.opened_at,
            "expires_at": window.expires_at,
            "token": token,
            "kiosk_url": request.build_absolute_uri(reverse("web:kiosk", args=[token])),
        }
        return Response(WindowOut(out).data, status=status.HTTP_201_CREATED)


class SessionSignView(ApiView):
    serializer_class = SignatureIn
    signs = "completed_training"

    def signed_object(self, request, pk: int):
        return _session(request, pk)

    @extend_schema(
        request=SignatureIn,
        responses={201: RecordOut},
        summary="Sign your attendance on your own device while the signing window is open",
    )
    def post(self, request, pk: int):
        session = _session(request, pk)
        body = SignatureIn(data=request.data)
        body.is_valid(raise_exception=True)
        record = training.attendance_sign(
            session=session,
            actor=request.user,
            credentials=credentials(request, body.validated_data, session),
        )
        return Response(RecordOut(record).data, status=status.HTTP_201_CREATED)


class SessionCloseView(ApiView):
    serializer_class = PasswordIn

    @extend_schema(
        request=PasswordIn,
        responses={200: SessionOut},
        summary="Close the session: the trainer signs every attendee's record",
    )
    def post(self, request, pk: int):
        session = _session(request, pk)
        body = PasswordIn(data=request.data)
        body.is_valid(raise_exception=True)
        training.session_close(
            actor=request.user,
            session=session,
            credentials=_credentials(request, body.validated_data["password"]),
        )
        session.refresh_from_db()
        return Response(SessionOut(session).data)


# --- e-learning -------------------------------------------------------------------------------


class ReadingOut(serializers.Serializer):
    assignment = serializers.IntegerField()
    document = serializers.CharField()
    revision = serializers.CharField()
    read_at = serializers.DateTimeField()
    assessment_opens = serializers.BooleanField()


class AssignmentReadView(ApiView):
    serializer_class = serializers.Serializer

    @extend_schema(
        request=None,
        responses={201: ReadingOut},
        summary="E-learning: you read the assignment's version in the viewer; its assessment opens",
    )
    def post(self, request, pk: int):
        assignment = _my_assignment(request, pk)
        reading = training.elearning_read(actor=request.user, assignment=assignment)
        version = reading.document_version
        out = {
            "assignment": assignment.pk,
            "document": version.document.number,
            "revision": version.revision,
            "read_at": reading.read_at,
            "assessment_opens": elearning.reading_problem(assignment.person, assignment.requirement)
            == "",
        }
        return Response(ReadingOut(out).data, status=status.HTTP_201_CREATED)


# --- read and understand, on-the-job ------------------------------------------------------------


def _my_assignment(request, pk: int):
    assignment = (
        training_queries.visible_assignments(request.user)
        .filter(pk=pk, person__user_id=request.user.pk)
        .first()
    )
    if assignment is None:
        raise NotFound("No such assignment of yours.")
    return assignment


class AssignmentSignView(ApiView):
    serializer_class = SignatureIn
    signs = "read_and_understood"

    def signed_object(self, request, pk: int):
        return _my_assignment(request, pk)

    @extend_schema(
        request=SignatureIn,
        responses={201: RecordOut},
        summary="Read and understand: sign your assignment's document version",
    )
    def post(self, request, pk: int):
        assignment = _my_assignment(request, pk)
        body = SignatureIn(data=request.data)
        body.is_valid(raise_exception=True)
        record = training.record_read_and_understood(
            actor=request.user,
            assignment=assignment,
            credentials=credentials(request, body.validated_data, assignment),
            # L3: the redline the API offers (GET …/delta/) is computed on the server
            # here too, never taken from the body; the record notes its baseline.
            delta_from=delta_from_for(assignment),
        )
        return Response(RecordOut(record).data, status=status.HTTP_201_CREATED)


class OnTheJobIn(serializers.Serializer):
    requirement = serializers.CharField(max_length=60, help_text="On-the-job requirement code.")
    trainee = serializers.CharField(max_length=40, help_text="Trainee's employee number.")
    attested_at = AwareDateTimeField(help_text="When the practical was observed.")
    checklist_ok = serializers.BooleanField(help_text="Every checklist item was met.")
    notes = serializers.CharField(max_length=4000, required=False, allow_blank=True)
    password = serializers.CharField(write_only=True, help_text="The trainer's password.")
    trainee_username = serializers.CharField(max_length=150)
    trainee_password = serializers.CharField(
        write_only=True, help_text="The trainee signs too (completed training)."
    )


class OnTheJobView(ApiView):
    serializer_class = OnTheJobIn

    @extend_schema(
        request=OnTheJobIn,
        responses={201: RecordOut},
        summary="On-the-job sign-off: the trainer observed the practical; both sign",
    )
    def post(self, request):
        body = OnTheJobIn(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        requirement = (
            training_queries.requirements(request.user).filter(code=data["requirement"]).first()
        )
        if requirement is None:
            raise serializers.ValidationError({"requirement": "No such requirement."})
        trainee = people_query(request.user).filter(employee_number=data["trainee"]).first()
        if trainee is None:
            raise serializers.ValidationError({"trainee": "No such person."})
        record = training.record_on_the_job(
            actor=request.user,
            trainee=trainee,
            requirement=requirement,
            attested_at=data["attested_at"],
            checklist_ok=data["checklist_ok"],
            notes=data.get("notes", ""),
            trainer_credentials=_credentials(request, data["password"]),
            trainee_credentials=Credentials(
                username=data["trainee_username"], password=data["trainee_password"], session=None
            ),
        )
        return Response(RecordOut(record).data, status=status.HTTP_201_CREATED)
