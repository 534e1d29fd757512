"""S2: the signer must hold the permission for the meaning; an author cannot approve
their own record; a trainee cannot be their own trainer; a record may add its own
check. U2: the administrator cannot sign."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied

from qualify.signatures.meanings import MEANINGS
from qualify.signatures.models import Signature
from qualify.signatures.services import Credentials, SignatureRefused, sign_record
from tests.accounts.helpers import events
from tests.personas import PASSWORD, make_user

pytestmark = [pytest.mark.django_db, pytest.mark.requirement("S2")]


def sign_as(user, obj, meaning):
    return sign_record(
        actor=user,
        obj=obj,
        meaning=meaning,
        credentials=Credentials(username=user.username, password=PASSWORD),
    )


def test_the_signer_must_hold_the_permission_of_the_meaning(employee, record):
    with pytest.raises(SignatureRefused, match="not permitted to sign with the meaning 'Approved'"):
        sign_as(employee, record, "approved")
    assert not Signature.objects.exists()
    [refused] = events("signature.refused", employee)
    assert refused.data["detail"]["meaning"] == "approved"
    employee.refresh_from_db()
    assert employee.failed_login_count == 0  # not a credential failure


@pytest.mark.parametrize(
    ("persona", "meaning"),
    [
        ("employee", "read_and_understood"),
        ("employee", "completed_training"),
        ("trainer", "trained_by"),
        ("doc_controller", "authored"),
        ("doc_controller", "reviewed"),
        ("qa", "approved"),
        ("qa", "verified"),
        ("qa", "closed"),
    ],
)
def test_each_role_signs_with_the_meanings_it_holds(request, record, persona, meaning):
    user = request.getfixturevalue(persona)
    assert sign_as(user, record, meaning).meaning == meaning


@pytest.mark.requirement("U2")
@pytest.mark.parametrize("meaning", sorted(MEANINGS))
def test_the_administrator_signs_with_no_meaning(admin, record, meaning):
    with pytest.raises(SignatureRefused):
        sign_as(admin, record, meaning)


@pytest.mark.requirement("U2")
def test_a_superuser_cannot_sign_though_it_holds_every_permission(record):
    root = make_user("root", is_superuser=True)
    root.save()
    with pytest.raises(SignatureRefused, match="superuser"):
        sign_as(root, record, "approved")


def test_only_a_signed_in_person_signs(record):
    with pytest.raises(PermissionDenied):
        sign_as(AnonymousUser(), record, "approved")


def test_an_author_cannot_approve_what_they_authored(author_approver, record):
    sign_as(author_approver, record, "authored")
    with pytest.raises(
        SignatureRefused, match="'Authored' and so cannot also sign it as 'Approved'"
    ):
        sign_as(author_approver, record, "approved")
    assert list(Signature.objects.values_list("meaning", flat=True)) == ["authored"]


def test_an_author_cannot_review_what_they_authored(author_approver, record):
    sign_as(author_approver, record, "authored")
    with pytest.raises(SignatureRefused):
        sign_as(author_approver, record, "reviewed")


def test_an_approver_cannot_then_sign_as_author(author_approver, record):
    sign_as(author_approver, record, "approved")
    with pytest.raises(SignatureRefused):
        sign_as(author_approver, record, "authored")


def test_another_person_approves_what_one_authored(author_approver, qa, record):
    sign_as(author_approver, record, "authored")
    assert sign_as(qa, record, "approved").signer == qa


def test_a_trainee_cannot_be_their_own_trainer(trainer, record):
    sign_as(trainer, record, "completed_training")
    with pytest.raises(SignatureRefused):
        sign_as(trainer, record, "trained_by")


def test_a_trainer_cannot_be_their_own_trainee(trainer, record):
    sign_as(trainer, record, "trained_by")
    with pytest.raises(SignatureRefused):
        sign_as(trainer, record, "completed_training")


def test_a_trainer_signs_for_another_trainee(trainer, employee, record):
    sign_as(employee, record, "completed_training")
    assert sign_as(trainer, record, "trained_by").signer == trainer


def test_nobody_signs_one_record_twice_with_one_meaning(qa, record):
    sign_as(qa, record, "approved")
    with pytest.raises(SignatureRefused, match="already signed"):
        sign_as(qa, record, "approved")


def test_a_record_adds_its_own_check(trainer, record):
    # As a training record names its trainee: they cannot sign as its trainer,
    # even before any signature of theirs is on it.
    def signature_conflict(user, meaning):
        if meaning == "trained_by" and user.pk == trainer.pk:
            return "The trainee cannot be their own trainer."
        return None

    record.signature_conflict = signature_conflict
    with pytest.raises(SignatureRefused, match="cannot be their own trainer"):
        sign_as(trainer, record, "trained_by")
    assert sign_as(trainer, record, "completed_training").meaning == "completed_training"
    assert not Signature.objects.filter(meaning="trained_by").exists()
