"""`{% completion_panel assignment %}`: how an open assignment is completed, by method
(e-learning: read, then the assessment; classroom: sessions to join; external: the
certificate; on-the-job: the trainer's sign-off). One tag, so the assignment page
itself stays the read-and-understand page it is."""

from django import template
from django.urls import NoReverseMatch, reverse

from qualify.training.models import Method
from qualify.training.queries_completion import certificates, my_enrolments
from qualify.training.services import elearning
from qualify.training.services.certificates import certificate_awaits_signature
from qualify.web.employee.completion import sessions_for

register = template.Library()


def _assessment_url(requirement) -> str:
    try:
        return reverse("web:assessment_take", args=[requirement.pk])
    except NoReverseMatch:
        return ""


@register.inclusion_tag("web/employee/_completion.html", takes_context=True)
def completion_panel(context, assignment):
    user = context["request"].user
    requirement, person = assignment.requirement, assignment.person
    out = {
        "assignment": assignment,
        "method": requirement.method,
        "zone": context.get("zone", "UTC"),
        "csrf_token": context.get("csrf_token"),
    }
    if requirement.method == Method.ELEARNING:
        version = assignment.version_to_read
        out.update(
            version=version,
            read=elearning.has_read(person, version),
            problem=elearning.reading_problem(person, requirement),
            assessment_url=_assessment_url(requirement),
        )
    elif requirement.method == Method.CLASSROOM:
        out.update(
            sessions=sessions_for(user, requirement),
            enrolments=list(my_enrolments(person, requirement)),
        )
    elif requirement.method == Method.EXTERNAL:
        mine = list(certificates(user).filter(person=person, requirement=requirement)[:10])
        for c in mine:
            c.awaits_signature = certificate_awaits_signature(c)
        out["certificates"] = mine
    return out
