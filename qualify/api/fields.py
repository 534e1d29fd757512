"""Input fields that validate at the edge (P16, T1).

`AwareDateTimeField` is the API's only input datetime: a time without a zone
(`2026-03-01T08:00:00`) is refused with a message asking for one, where DRF's own
field would silently read it in the server's zone. `AwareDateTimeFilter` is the same
rule for django-filter query parameters. The CSV import and the command line use
`qualify.edge.parse_aware` for the same wording.
"""

import datetime as dt

import django_filters
from django import forms
from django.db import models
from django.utils import timezone
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import serializers
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.parsers import JSONParser

from qualify.edge import NAIVE_MESSAGE, parse_aware


class AwareDateTimeField(serializers.DateTimeField):
    """ISO 8601 with a UTC offset or Z; stored and compared in UTC."""

    default_error_messages = {
        **serializers.DateTimeField.default_error_messages,
        "naive": NAIVE_MESSAGE,
    }

    def to_internal_value(self, value):
        if isinstance(value, dt.datetime):
            if timezone.is_naive(value):
                self.fail("naive")
            return value.astimezone(dt.UTC)
        if isinstance(value, str):
            try:
                return parse_aware(value)
            except ValueError as exc:
                if "time zone" in str(exc):
                    self.fail("naive")
                self.fail("invalid", format="YYYY-MM-DDThh:mm[:ss[.uuuuuu]]±hh:mm or Z")
        self.fail("invalid", format="YYYY-MM-DDThh:mm[:ss[.uuuuuu]]±hh:mm or Z")


class _AwareFormField(forms.CharField):
    def to_python(self, value):
        if value is None:  # not given
            return None
        value = super().to_python(value)
        if not value:
            raise forms.ValidationError("Give a date and time, or leave the parameter out.")
        try:
            return parse_aware(value)
        except ValueError as exc:
            # The reason quotes the input, and django-filter formats a message with
            # `%`: as a parameter, a "%" typed in the value is text, not a format.
            raise forms.ValidationError(
                "%(reason)s", code="invalid", params={"reason": str(exc)}
            ) from None


class AwareDateTimeFilter(django_filters.Filter):
    """A query parameter holding an ISO 8601 time with its zone, compared in UTC."""

    field_class = _AwareFormField


class _StrictBooleanFormField(forms.Field):
    widget = forms.TextInput
    TRUE = {"true", "1", "yes"}
    FALSE = {"false", "0", "no"}

    def to_python(self, value):
        if value is None:  # not given
            return None
        text = str(value).strip().lower()
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise forms.ValidationError("Give true or false, or leave the parameter out.")


class StrictBooleanFilter(django_filters.BooleanFilter):
    """true/false (or 1/0); anything else is refused with 400, where django-filter's
    own would ignore it and answer the unfiltered list."""

    field_class = _StrictBooleanFormField


class StrictFilterSet(django_filters.FilterSet):
    """The FilterSet generated for `filterset_fields`, with strict booleans."""

    FILTER_DEFAULTS = {
        **django_filters.FilterSet.FILTER_DEFAULTS,
        models.BooleanField: {"filter_class": StrictBooleanFilter},
    }


class StrictFilterBackend(DjangoFilterBackend):
    """Filters as django-filter reads them, but a filter given with no value
    (`?status=`) is refused rather than read as "no filter" (P16)."""

    filterset_base = StrictFilterSet

    def get_filterset(self, request, queryset, view):
        filterset = super().get_filterset(request, queryset, view)
        if filterset is not None:
            empty = {
                name: ["Give a value, or leave the parameter out."]
                for name in filterset.filters
                if name in request.query_params and not request.query_params[name].strip()
            }
            if empty:
                raise ValidationError(empty)
        return filterset


class ObjectJSONParser(JSONParser):
    """JSON whose top level is an object: every operation of the API takes named fields,
    so `3699` or `[...]` is refused with 400 instead of failing inside a view."""

    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        if not isinstance(data, dict):
            raise ParseError('The request body must be a JSON object, like {"field": "value"}.')
        return data


def refuse_empty_optionals(serializer: serializers.Serializer, attrs: dict) -> dict:
    """For form-encoded bodies and query strings DRF reads `name=` of an optional field
    as if the field were absent; an empty value is a client's mistake, so it is refused
    naming the field (P16) unless the field allows blanks."""
    data = serializer.initial_data
    empty = [
        name
        for name, field in serializer.fields.items()
        if not field.read_only
        and not getattr(field, "allow_blank", False)
        and hasattr(data, "getlist")
        and name in data
        and data.get(name) == ""
    ]
    if empty:
        raise ValidationError({name: "This field may not be empty." for name in empty})
    return attrs
