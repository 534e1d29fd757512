from django import forms

from qualify.web.documents.kit import LocalDateTimeField


class QuestionForm(forms.Form):
    person = forms.CharField(label="Person (employee number or user id)")
    document = forms.CharField(label="Document number")
    at = LocalDateTimeField(label="At this moment")
    as_known_at = LocalDateTimeField(
        label="As known at (optional)",
        required=False,
        help_text="What the system knew then (Q7); empty means everything known now.",
    )


class PersonForm(forms.Form):
    person = forms.CharField(label="Person (employee number or user id)")


class TrailForm(forms.Form):
    object_type = forms.CharField(label="Record type", help_text="e.g. documents.documentversion")
    object_id = forms.CharField(label="Record id")
