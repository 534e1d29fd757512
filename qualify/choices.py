"""Form fields that choose among a model's rows, their options read in one statement.

Django's ModelChoiceField reads its options with `QuerySet.iterator()`, which on
PostgreSQL is a server-side cursor: DECLARE, FETCH and CLOSE, three round trips and
a result set the server keeps for the cursor. A page's select lists a few sites,
departments or frameworks (a field that could list thousands is a lookup,
qualify.web.lookup), so one plain read is enough: issue 18 measured the departments'
select at 1.43 ms through the cursor against 0.93 ms read at once (medium plant).
"""

from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import ModelChoiceIterator


class OptionsInOneRead(ModelChoiceIterator):
    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        # A filter's options are read once per form (FilterChoiceField); any other
        # field's are read afresh each time (.all()), as Django's iterator() does.
        options = getattr(self.field, "options", None)
        for obj in options() if options is not None else self.queryset.all():
            yield self.choice(obj)


class ModelChoiceField(forms.ModelChoiceField):
    iterator = OptionsInOneRead


class ModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    iterator = OptionsInOneRead


class FilterChoiceField(ModelChoiceField):
    """A select of a GET filter form (P214): its options are read once per form, and
    its value is checked against them instead of being read again (Django's field reads
    the chosen row, then all the options to draw them). A filter writes nothing, so no
    option can appear or go between the check and the drawing; forms that write keep
    ModelChoiceField, whose options are read afresh."""

    _options = None

    def _set_queryset(self, queryset):
        self._options = None
        super()._set_queryset(queryset)

    queryset = property(forms.ModelChoiceField._get_queryset, _set_queryset)

    def options(self) -> list:
        if self._options is None:
            self._options = list(self.queryset.all())
        return self._options

    def to_python(self, value):
        if value in self.empty_values:
            return None
        self.validate_no_null_characters(value)
        key = self.to_field_name or "pk"
        model = self.queryset.model
        if isinstance(value, model):
            value = getattr(value, key)
        field = model._meta.pk if key == "pk" else model._meta.get_field(key)
        try:
            wanted = field.to_python(value)
        except (ValidationError, TypeError, ValueError):
            wanted = None
        for obj in self.options() if wanted is not None else ():
            if getattr(obj, key) == wanted:
                return obj
        raise ValidationError(
            self.error_messages["invalid_choice"], code="invalid_choice", params={"value": value}
        )
