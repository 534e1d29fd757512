from django import forms

from qualify.web.documents.kit import LocalDateTimeField


class QuestionForm(forms.Form):
    person = forms.CharField(label="Person (employee number or user id)")
    document = forms.CharField(label="Document number")
    # Empty means the instant the question is asked: a prefilled minute would come
    # before a record signed within that minute and answer "no" to "qualified now?".
    at = LocalDateTimeField(label="At this moment", required=False, help_text="Empty means now.")
    as_known_at = LocalDateTimeField(
        label="As known at (optional)",
        required=False,
        help_text="What the system knew then; empty means everything known now.",
    )


class PersonForm(forms.Form):
    person = forms.CharField(label="Person (employee number or user id)")


class TrailForm(forms.Form):
    record = forms.CharField(
        label="Record",
        max_length=200,
        help_text=(
            "Its name and number, as on its page: SOP-014, SOP-014 rev 6, training record 700, "
            "CAPA-2026-007, DEV-2026-0150, a requirement code, an employee number or a user id."
        ),
    )
