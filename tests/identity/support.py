"""Records the identity tests sign: built through the services, as a person would."""

from django.core.files.base import ContentFile
from django.utils import timezone

from qualify.training import services as training
from qualify.training.models import Method
from tests import files
from tests.training.support import creds


def verified_certificate(plant, employee):
    """An external GMP certificate the employee submitted and a coordinator verified:
    the record made from it waits for the employee's own signature."""
    requirement = plant.requirement("EXT-GMP", method=Method.EXTERNAL)
    person = plant.person("Olivia", user=employee, job_function=plant.operators)
    plant.matrix(requirement)
    certificate = training.certificate_submit(
        actor=employee,
        person=person,
        requirement=requirement,
        issuer="GMP Academy",
        completed_at=timezone.now() - timezone.timedelta(hours=1),
        file=ContentFile(files.pdf("GMP"), name="gmp.pdf"),
    )
    training.certificate_verify(
        actor=plant.coordinator, certificate=certificate, credentials=creds(plant.coordinator)
    )
    return certificate
