"""One FilterSet per organisation model, serving the pages and the API alike
(sort, filter; both paginate). Filters narrow a queryset that already came from
`qualify.org.queries`, so the client restriction (U2) is applied before them."""

import django_filters
from django.db.models import Q
from django.utils import timezone

from qualify.org.models import Client, Department, Framework, JobFunction, Person, Site
from qualify.org.queries import assignments_held, person_text_match

STATES = [("active", "In use"), ("retired", "Retired")]
PERSON_STATES = [("active", "Employed"), ("left", "Left")]


class _Base(django_filters.FilterSet):
    """`q` searches code and name (letter case ignored); `state` is in use or retired."""

    q = django_filters.CharFilter(method="filter_text", label="Code or name contains")
    state = django_filters.ChoiceFilter(choices=STATES, method="filter_state", label="State")
    text_fields = ("code", "name")

    def filter_text(self, queryset, name, value):
        condition = Q()
        for field in self.text_fields:
            condition |= Q(**{f"{field}__icontains": value.strip()})
        return queryset.filter(condition)

    def filter_state(self, queryset, name, value):
        return queryset.filter(active=(value == "active"))


def _sort(*fields: str) -> django_filters.OrderingFilter:
    return django_filters.OrderingFilter(fields=fields, label="Sort by")


class SiteFilter(_Base):
    sort = _sort("code", "name", "time_zone")

    class Meta:
        model = Site
        fields = ["q", "state"]


class DepartmentFilter(_Base):
    site = django_filters.CharFilter(field_name="site__code", lookup_expr="iexact")
    sort = _sort("code", "name", ("site__code", "site"))

    class Meta:
        model = Department
        fields = ["q", "state", "site"]


class ClientFilter(_Base):
    sort = _sort("code", "name")

    class Meta:
        model = Client
        fields = ["q", "state"]


class FrameworkFilter(_Base):
    sort = _sort("code", "name")

    class Meta:
        model = Framework
        fields = ["q", "state"]


class JobFunctionFilter(_Base):
    site = django_filters.CharFilter(field_name="site__code", lookup_expr="iexact")
    department = django_filters.CharFilter(field_name="department__code", lookup_expr="iexact")
    client = django_filters.CharFilter(field_name="client__code", lookup_expr="iexact")
    framework = django_filters.CharFilter(method="filter_framework")
    sort = _sort("code", "name", ("site__code", "site"), ("client__code", "client"))

    class Meta:
        model = JobFunction
        fields = ["q", "state", "site", "department", "client", "framework"]

    def filter_framework(self, queryset, name, value):
        return queryset.filter(frameworks__code__iexact=value.strip()).distinct()


class PersonFilter(django_filters.FilterSet):
    """People by name, employee number or user id; employed or left; where they work
    and the job function they hold now (and its frameworks and client)."""

    q = django_filters.CharFilter(method="filter_text", label="Name, employee number or user id")
    state = django_filters.ChoiceFilter(choices=PERSON_STATES, method="filter_state")
    site = django_filters.CharFilter(field_name="site__code", lookup_expr="iexact")
    department = django_filters.CharFilter(field_name="department__code", lookup_expr="iexact")
    job_function = django_filters.CharFilter(method="filter_held", label="Job function held now")
    framework = django_filters.CharFilter(method="filter_held", label="Framework of a job held now")
    client = django_filters.CharFilter(method="filter_held", label="Client of a job held now")
    sort = _sort(("full_name", "name"), "employee_number", ("site__code", "site"), "employed_from")

    class Meta:
        model = Person
        fields = ["q", "state", "site", "department", "job_function", "framework", "client"]

    def filter_text(self, queryset, name, value):
        return queryset.filter(person_text_match(value.strip()))

    def filter_state(self, queryset, name, value):
        return queryset.filter(active=(value == "active"))

    def filter_held(self, queryset, name, value):
        lookup = {
            "job_function": "job_function__code__iexact",
            "framework": "job_function__frameworks__code__iexact",
            "client": "job_function__client__code__iexact",
        }[name]
        held = assignments_held(at=timezone.now()).filter(**{lookup: value.strip()})
        return queryset.filter(pk__in=held.values("person_id"))
